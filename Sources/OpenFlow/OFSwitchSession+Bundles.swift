import OFProto

/// A message a bundle holds until it is committed.
enum OFBundledMessage {
    case flowMod(OFFlowMod)
    case groupMod(OFGroupMod)

    /// The OpenFlow message type that carried it.
    var type: UInt8 {
        switch self {
        case .flowMod: OFType.flowMod
        case .groupMod: OFType.groupMod
        }
    }
}

/// An open bundle (OpenFlow 1.4+): its flags, whether it was closed, and
/// the messages added, each with the xid of the message that carried it.
struct OFOpenBundle {
    var flags: UInt16
    var closed = false
    var messages: [(xid: UInt32, message: OFBundledMessage)] = []
}

extension OFSwitchSession {
    // MARK: Bundles (OpenFlow 1.4+)

    /// OFPT_BUNDLE_CONTROL: open, close, commit, discard.
    func bundleControl(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        var r = OFReader(m.body)
        let id = try r.u32(), type = try r.u16(), flags = try r.u16()
        guard flags & ~3 == 0 else { throw OFDecodeError(.bundleBadFlags) }
        func reply(_ t: UInt16) -> [OFMessage] {
            var w = OFWriter()
            w.u32(id); w.u16(t); w.u16(flags)
            return [OFMessage(version: v, type: 33, xid: m.xid, body: w.bytes)]
        }
        switch type {
        case 0:
            guard bundles[id] == nil else { throw OFDecodeError(.bundleExists) }
            bundles[id] = OFOpenBundle(flags: flags)
            return reply(1)
        case 2:
            guard let b = bundles[id] else { throw OFDecodeError(.bundleBadID) }
            guard !b.closed else { throw OFDecodeError(.bundleClosed) }
            bundles[id]!.closed = true
            return reply(3)
        case 4:
            guard let b = bundles.removeValue(forKey: id) else { throw OFDecodeError(.bundleBadID) }
            if let (xid, type, e) = commit(b) {
                let inner = OFMessage(version: v, type: type, xid: xid)
                return [self.error(e.error, for: inner), self.error(.bundleMessageFailed, for: m)]
            }
            return reply(5)
        case 6:
            guard bundles.removeValue(forKey: id) != nil else { throw OFDecodeError(.bundleBadID) }
            return reply(7)
        default:
            throw OFDecodeError(.bundleBadType, "bundle control \(type)")
        }
    }

    /// OFPT_BUNDLE_ADD_MESSAGE: a flow-mod or group-mod, decoded now (a bad
    /// one is refused at once), applied at commit.
    func bundleAdd(_ m: OFMessage, _ v: UInt8) throws(OFDecodeError) -> [OFMessage] {
        var r = OFReader(m.body)
        let id = try r.u32(); try r.skip(2); _ = try r.u16()
        let rest = Array(m.body[r.offset...])
        guard let (inner, used) = try OFMessage.frame(rest[...]), used <= rest.count else {
            throw OFDecodeError(.badRequestLength, "bundled message")
        }
        guard let b = bundles[id] else { throw OFDecodeError(.bundleBadID) }
        guard !b.closed else { throw OFDecodeError(.bundleClosed) }
        guard inner.version == v else { throw OFDecodeError(.bundleMessageUnsupported) }
        let message: OFBundledMessage
        switch inner.type {
        case OFType.flowMod: message = .flowMod(try OFFlowMod.decodeOF11(inner.body, version: v))
        case OFType.groupMod: message = .groupMod(try OFGroupMod.decode(inner.body, version: v))
        default: throw OFDecodeError(.bundleMessageUnsupported)
        }
        bundles[id]!.messages.append((inner.xid, message))
        return []
    }

    /// Applies a bundle's messages in order, all or none: the flow changes
    /// in one pipeline transaction, the group changes undone from a
    /// snapshot if anything fails. A flow-mod sees the groups the bundle
    /// made before it. Returns the first failure: xid, message type, error.
    func commit(_ bundle: OFOpenBundle) -> (UInt32, UInt8, OFDecodeError)? {
        let now = OpenFlowClock.now()
        let groupsBefore = bridge.groups.snapshot()
        var failed: (UInt32, UInt8, OFDecodeError)? = nil
        do {
            try bridge.pipeline.transaction { (tx) throws(OpenFlowTableError) in
                for (xid, message) in bundle.messages {
                    switch message {
                    case .flowMod(let fm):
                        do throws(OFDecodeError) {
                            if fm.command == .add || fm.command == .modify || fm.command == .modifyStrict {
                                try checkGroupsAndMeters(fm.actions)
                            }
                        } catch {
                            failed = (xid, message.type, error)
                            throw .badTableID    // only to abort the transaction
                        }
                        do throws(OpenFlowTableError) {
                            try apply(fm, in: tx, now: now)
                        } catch {
                            failed = (xid, message.type, Self.decodeError(error))
                            throw error
                        }
                    case .groupMod(let gm):
                        do throws(OFDecodeError) {
                            // A deleted group's flows go with it, in this transaction.
                            let deleted = try apply(gm, now: now)
                            if !deleted.isEmpty { _ = tx.delete(table: .all, Self.naming(groups: deleted)) }
                        } catch {
                            failed = (xid, message.type, error)
                            throw .badTableID    // only to abort the transaction
                        }
                    }
                }
            }
        } catch {
            bridge.groups.restore(groupsBefore)
            return failed ?? (0, OFType.flowMod, Self.decodeError(error))
        }
        return nil
    }
}
