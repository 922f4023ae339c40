/// The word loops behind comparing, masking and hashing flow keys.
///
/// Written out word by word on purpose: with Swift 6.3, reading an
/// `InlineArray` parameter at a run-time index copies the whole 464-byte
/// array for every access (a hash took 500 ns); constant indices compile to
/// plain loads from the caller's storage. The lines are regular: word `i`
/// (and `i + 1`) of each operand.

@inlinable @inline(__always)
func wordsEqual(_ a: borrowing FlowKey, _ b: borrowing FlowKey) -> Bool {
    var d: UInt64 = 0
    do {
        d |= (a.words[0] ^ b.words[0]) | (a.words[1] ^ b.words[1])
        d |= (a.words[2] ^ b.words[2]) | (a.words[3] ^ b.words[3])
        d |= (a.words[4] ^ b.words[4]) | (a.words[5] ^ b.words[5])
        d |= (a.words[6] ^ b.words[6]) | (a.words[7] ^ b.words[7])
        d |= (a.words[8] ^ b.words[8]) | (a.words[9] ^ b.words[9])
        d |= (a.words[10] ^ b.words[10]) | (a.words[11] ^ b.words[11])
        d |= (a.words[12] ^ b.words[12]) | (a.words[13] ^ b.words[13])
        d |= (a.words[14] ^ b.words[14]) | (a.words[15] ^ b.words[15])
        d |= (a.words[16] ^ b.words[16]) | (a.words[17] ^ b.words[17])
        d |= (a.words[18] ^ b.words[18]) | (a.words[19] ^ b.words[19])
        d |= (a.words[20] ^ b.words[20]) | (a.words[21] ^ b.words[21])
        d |= (a.words[22] ^ b.words[22]) | (a.words[23] ^ b.words[23])
        d |= (a.words[24] ^ b.words[24]) | (a.words[25] ^ b.words[25])
        d |= (a.words[26] ^ b.words[26]) | (a.words[27] ^ b.words[27])
        d |= (a.words[28] ^ b.words[28]) | (a.words[29] ^ b.words[29])
        d |= (a.words[30] ^ b.words[30]) | (a.words[31] ^ b.words[31])
        d |= (a.words[32] ^ b.words[32]) | (a.words[33] ^ b.words[33])
        d |= (a.words[34] ^ b.words[34]) | (a.words[35] ^ b.words[35])
        d |= (a.words[36] ^ b.words[36]) | (a.words[37] ^ b.words[37])
        d |= (a.words[38] ^ b.words[38]) | (a.words[39] ^ b.words[39])
        d |= (a.words[40] ^ b.words[40]) | (a.words[41] ^ b.words[41])
        d |= (a.words[42] ^ b.words[42]) | (a.words[43] ^ b.words[43])
        d |= (a.words[44] ^ b.words[44]) | (a.words[45] ^ b.words[45])
        d |= (a.words[46] ^ b.words[46]) | (a.words[47] ^ b.words[47])
        d |= (a.words[48] ^ b.words[48]) | (a.words[49] ^ b.words[49])
        d |= (a.words[50] ^ b.words[50]) | (a.words[51] ^ b.words[51])
        d |= (a.words[52] ^ b.words[52]) | (a.words[53] ^ b.words[53])
        d |= (a.words[54] ^ b.words[54]) | (a.words[55] ^ b.words[55])
        d |= (a.words[56] ^ b.words[56]) | (a.words[57] ^ b.words[57])
    }
    return d == 0
}

@inlinable @inline(__always)
func wordsEqual(_ a: borrowing FlowMask, _ b: borrowing FlowMask) -> Bool {
    var d: UInt64 = 0
    do {
        d |= (a.words[0] ^ b.words[0]) | (a.words[1] ^ b.words[1])
        d |= (a.words[2] ^ b.words[2]) | (a.words[3] ^ b.words[3])
        d |= (a.words[4] ^ b.words[4]) | (a.words[5] ^ b.words[5])
        d |= (a.words[6] ^ b.words[6]) | (a.words[7] ^ b.words[7])
        d |= (a.words[8] ^ b.words[8]) | (a.words[9] ^ b.words[9])
        d |= (a.words[10] ^ b.words[10]) | (a.words[11] ^ b.words[11])
        d |= (a.words[12] ^ b.words[12]) | (a.words[13] ^ b.words[13])
        d |= (a.words[14] ^ b.words[14]) | (a.words[15] ^ b.words[15])
        d |= (a.words[16] ^ b.words[16]) | (a.words[17] ^ b.words[17])
        d |= (a.words[18] ^ b.words[18]) | (a.words[19] ^ b.words[19])
        d |= (a.words[20] ^ b.words[20]) | (a.words[21] ^ b.words[21])
        d |= (a.words[22] ^ b.words[22]) | (a.words[23] ^ b.words[23])
        d |= (a.words[24] ^ b.words[24]) | (a.words[25] ^ b.words[25])
        d |= (a.words[26] ^ b.words[26]) | (a.words[27] ^ b.words[27])
        d |= (a.words[28] ^ b.words[28]) | (a.words[29] ^ b.words[29])
        d |= (a.words[30] ^ b.words[30]) | (a.words[31] ^ b.words[31])
        d |= (a.words[32] ^ b.words[32]) | (a.words[33] ^ b.words[33])
        d |= (a.words[34] ^ b.words[34]) | (a.words[35] ^ b.words[35])
        d |= (a.words[36] ^ b.words[36]) | (a.words[37] ^ b.words[37])
        d |= (a.words[38] ^ b.words[38]) | (a.words[39] ^ b.words[39])
        d |= (a.words[40] ^ b.words[40]) | (a.words[41] ^ b.words[41])
        d |= (a.words[42] ^ b.words[42]) | (a.words[43] ^ b.words[43])
        d |= (a.words[44] ^ b.words[44]) | (a.words[45] ^ b.words[45])
        d |= (a.words[46] ^ b.words[46]) | (a.words[47] ^ b.words[47])
        d |= (a.words[48] ^ b.words[48]) | (a.words[49] ^ b.words[49])
        d |= (a.words[50] ^ b.words[50]) | (a.words[51] ^ b.words[51])
        d |= (a.words[52] ^ b.words[52]) | (a.words[53] ^ b.words[53])
        d |= (a.words[54] ^ b.words[54]) | (a.words[55] ^ b.words[55])
        d |= (a.words[56] ^ b.words[56]) | (a.words[57] ^ b.words[57])
    }
    return d == 0
}

@inlinable @inline(__always)
func wordsEqual(_ a: borrowing FlowKey, _ b: borrowing FlowKey, under m: borrowing FlowMask) -> Bool {
    var d: UInt64 = 0
    do {
        d |= ((a.words[0] ^ b.words[0]) & m.words[0]) | ((a.words[1] ^ b.words[1]) & m.words[1])
        d |= ((a.words[2] ^ b.words[2]) & m.words[2]) | ((a.words[3] ^ b.words[3]) & m.words[3])
        d |= ((a.words[4] ^ b.words[4]) & m.words[4]) | ((a.words[5] ^ b.words[5]) & m.words[5])
        d |= ((a.words[6] ^ b.words[6]) & m.words[6]) | ((a.words[7] ^ b.words[7]) & m.words[7])
        d |= ((a.words[8] ^ b.words[8]) & m.words[8]) | ((a.words[9] ^ b.words[9]) & m.words[9])
        d |= ((a.words[10] ^ b.words[10]) & m.words[10]) | ((a.words[11] ^ b.words[11]) & m.words[11])
        d |= ((a.words[12] ^ b.words[12]) & m.words[12]) | ((a.words[13] ^ b.words[13]) & m.words[13])
        d |= ((a.words[14] ^ b.words[14]) & m.words[14]) | ((a.words[15] ^ b.words[15]) & m.words[15])
        d |= ((a.words[16] ^ b.words[16]) & m.words[16]) | ((a.words[17] ^ b.words[17]) & m.words[17])
        d |= ((a.words[18] ^ b.words[18]) & m.words[18]) | ((a.words[19] ^ b.words[19]) & m.words[19])
        d |= ((a.words[20] ^ b.words[20]) & m.words[20]) | ((a.words[21] ^ b.words[21]) & m.words[21])
        d |= ((a.words[22] ^ b.words[22]) & m.words[22]) | ((a.words[23] ^ b.words[23]) & m.words[23])
        d |= ((a.words[24] ^ b.words[24]) & m.words[24]) | ((a.words[25] ^ b.words[25]) & m.words[25])
        d |= ((a.words[26] ^ b.words[26]) & m.words[26]) | ((a.words[27] ^ b.words[27]) & m.words[27])
        d |= ((a.words[28] ^ b.words[28]) & m.words[28]) | ((a.words[29] ^ b.words[29]) & m.words[29])
        d |= ((a.words[30] ^ b.words[30]) & m.words[30]) | ((a.words[31] ^ b.words[31]) & m.words[31])
        d |= ((a.words[32] ^ b.words[32]) & m.words[32]) | ((a.words[33] ^ b.words[33]) & m.words[33])
        d |= ((a.words[34] ^ b.words[34]) & m.words[34]) | ((a.words[35] ^ b.words[35]) & m.words[35])
        d |= ((a.words[36] ^ b.words[36]) & m.words[36]) | ((a.words[37] ^ b.words[37]) & m.words[37])
        d |= ((a.words[38] ^ b.words[38]) & m.words[38]) | ((a.words[39] ^ b.words[39]) & m.words[39])
        d |= ((a.words[40] ^ b.words[40]) & m.words[40]) | ((a.words[41] ^ b.words[41]) & m.words[41])
        d |= ((a.words[42] ^ b.words[42]) & m.words[42]) | ((a.words[43] ^ b.words[43]) & m.words[43])
        d |= ((a.words[44] ^ b.words[44]) & m.words[44]) | ((a.words[45] ^ b.words[45]) & m.words[45])
        d |= ((a.words[46] ^ b.words[46]) & m.words[46]) | ((a.words[47] ^ b.words[47]) & m.words[47])
        d |= ((a.words[48] ^ b.words[48]) & m.words[48]) | ((a.words[49] ^ b.words[49]) & m.words[49])
        d |= ((a.words[50] ^ b.words[50]) & m.words[50]) | ((a.words[51] ^ b.words[51]) & m.words[51])
        d |= ((a.words[52] ^ b.words[52]) & m.words[52]) | ((a.words[53] ^ b.words[53]) & m.words[53])
        d |= ((a.words[54] ^ b.words[54]) & m.words[54]) | ((a.words[55] ^ b.words[55]) & m.words[55])
        d |= ((a.words[56] ^ b.words[56]) & m.words[56]) | ((a.words[57] ^ b.words[57]) & m.words[57])
    }
    return d == 0
}

@inlinable @inline(__always)
func wordsMasked(_ k: borrowing FlowKey, _ m: borrowing FlowMask) -> FlowKey {
    var r = FlowKey()
    do {
        r.words[0] = k.words[0] & m.words[0]; r.words[1] = k.words[1] & m.words[1]
        r.words[2] = k.words[2] & m.words[2]; r.words[3] = k.words[3] & m.words[3]
        r.words[4] = k.words[4] & m.words[4]; r.words[5] = k.words[5] & m.words[5]
        r.words[6] = k.words[6] & m.words[6]; r.words[7] = k.words[7] & m.words[7]
        r.words[8] = k.words[8] & m.words[8]; r.words[9] = k.words[9] & m.words[9]
        r.words[10] = k.words[10] & m.words[10]; r.words[11] = k.words[11] & m.words[11]
        r.words[12] = k.words[12] & m.words[12]; r.words[13] = k.words[13] & m.words[13]
        r.words[14] = k.words[14] & m.words[14]; r.words[15] = k.words[15] & m.words[15]
        r.words[16] = k.words[16] & m.words[16]; r.words[17] = k.words[17] & m.words[17]
        r.words[18] = k.words[18] & m.words[18]; r.words[19] = k.words[19] & m.words[19]
        r.words[20] = k.words[20] & m.words[20]; r.words[21] = k.words[21] & m.words[21]
        r.words[22] = k.words[22] & m.words[22]; r.words[23] = k.words[23] & m.words[23]
        r.words[24] = k.words[24] & m.words[24]; r.words[25] = k.words[25] & m.words[25]
        r.words[26] = k.words[26] & m.words[26]; r.words[27] = k.words[27] & m.words[27]
        r.words[28] = k.words[28] & m.words[28]; r.words[29] = k.words[29] & m.words[29]
        r.words[30] = k.words[30] & m.words[30]; r.words[31] = k.words[31] & m.words[31]
        r.words[32] = k.words[32] & m.words[32]; r.words[33] = k.words[33] & m.words[33]
        r.words[34] = k.words[34] & m.words[34]; r.words[35] = k.words[35] & m.words[35]
        r.words[36] = k.words[36] & m.words[36]; r.words[37] = k.words[37] & m.words[37]
        r.words[38] = k.words[38] & m.words[38]; r.words[39] = k.words[39] & m.words[39]
        r.words[40] = k.words[40] & m.words[40]; r.words[41] = k.words[41] & m.words[41]
        r.words[42] = k.words[42] & m.words[42]; r.words[43] = k.words[43] & m.words[43]
        r.words[44] = k.words[44] & m.words[44]; r.words[45] = k.words[45] & m.words[45]
        r.words[46] = k.words[46] & m.words[46]; r.words[47] = k.words[47] & m.words[47]
        r.words[48] = k.words[48] & m.words[48]; r.words[49] = k.words[49] & m.words[49]
        r.words[50] = k.words[50] & m.words[50]; r.words[51] = k.words[51] & m.words[51]
        r.words[52] = k.words[52] & m.words[52]; r.words[53] = k.words[53] & m.words[53]
        r.words[54] = k.words[54] & m.words[54]; r.words[55] = k.words[55] & m.words[55]
        r.words[56] = k.words[56] & m.words[56]; r.words[57] = k.words[57] & m.words[57]
    }
    return r
}

/// One NH step (UMAC's hash): the word's two 32-bit halves, each offset by
/// a per-position constant, multiplied into a 64-bit product. The products
/// are summed; every step is independent, so they run in parallel (and in
/// SIMD lanes).
@inlinable @inline(__always)
func nh(_ w: UInt64, _ a: UInt32, _ b: UInt32) -> UInt64 {
    UInt64(UInt32(truncatingIfNeeded: w) &+ a) &* UInt64(UInt32(truncatingIfNeeded: w >> 32) &+ b)
}

/// Finishes the flow hash: splitmix64's bijective finaliser of the sum.
@inlinable @inline(__always)
func finishHash(_ sum: UInt64) -> UInt64 {
    var h = sum
    h = (h ^ (h >> 30)) &* 0xbf58_476d_1ce4_e5b9
    h = (h ^ (h >> 27)) &* 0x94d0_49bb_1331_11eb
    return h ^ (h >> 31)
}

@inlinable @inline(__always)
func flowHash(_ k: borrowing FlowKey, mask m: borrowing FlowMask, basis: UInt64) -> UInt64 {
    var s: UInt64 = basis &* 0x9e37_79b9_7f4a_7c15
    do {
        s = s &+ nh((k.words[0] & m.words[0]), 0xce343e35, 0xb127ebcd)
        s = s &+ nh((k.words[1] & m.words[1]), 0x4cef2d21, 0x36bb8df3)
        s = s &+ nh((k.words[2] & m.words[2]), 0xe1ce5833, 0x306683fd)
        s = s &+ nh((k.words[3] & m.words[3]), 0x883f7a0d, 0xf1c1d3e3)
        s = s &+ nh((k.words[4] & m.words[4]), 0xb79e8da1, 0x852f5c19)
        s = s &+ nh((k.words[5] & m.words[5]), 0xbf1f2b39, 0x322b1959)
        s = s &+ nh((k.words[6] & m.words[6]), 0xeec937d3, 0x29dabb5f)
        s = s &+ nh((k.words[7] & m.words[7]), 0xe84260f1, 0xc77e2225)
        s = s &+ nh((k.words[8] & m.words[8]), 0x43780823, 0x23e8a821)
        s = s &+ nh((k.words[9] & m.words[9]), 0x125f1175, 0x47b7b51d)
        s = s &+ nh((k.words[10] & m.words[10]), 0x12c4cda9, 0x285d302b)
        s = s &+ nh((k.words[11] & m.words[11]), 0x3546d401, 0x0b835465)
        s = s &+ nh((k.words[12] & m.words[12]), 0xc257ed4f, 0x25bb580b)
        s = s &+ nh((k.words[13] & m.words[13]), 0xf5e7af97, 0x5733ceef)
        s = s &+ nh((k.words[14] & m.words[14]), 0x6f86b1a7, 0x14f4a5e1)
        s = s &+ nh((k.words[15] & m.words[15]), 0xb73da10b, 0x6708223d)
        s = s &+ nh((k.words[16] & m.words[16]), 0x195dd06f, 0x065ec8fd)
        s = s &+ nh((k.words[17] & m.words[17]), 0xcf733767, 0x01df778d)
        s = s &+ nh((k.words[18] & m.words[18]), 0x126c77eb, 0x9e25efd5)
        s = s &+ nh((k.words[19] & m.words[19]), 0x7809848b, 0x5aa40d45)
        s = s &+ nh((k.words[20] & m.words[20]), 0xa522cbc7, 0x2d39cd79)
        s = s &+ nh((k.words[21] & m.words[21]), 0x6cac30f3, 0x142afe9b)
        s = s &+ nh((k.words[22] & m.words[22]), 0x82a0ce19, 0x70ac8225)
        s = s &+ nh((k.words[23] & m.words[23]), 0x8d2f1827, 0x31e8c553)
        s = s &+ nh((k.words[24] & m.words[24]), 0x4b43cceb, 0x4480b2c3)
        s = s &+ nh((k.words[25] & m.words[25]), 0x1b5bea91, 0x528f58a3)
        s = s &+ nh((k.words[26] & m.words[26]), 0x3dd0bc17, 0xb028a8af)
        s = s &+ nh((k.words[27] & m.words[27]), 0xc7a609a7, 0x04efa229)
        s = s &+ nh((k.words[28] & m.words[28]), 0xe3a714b3, 0x46d3029d)
        s = s &+ nh((k.words[29] & m.words[29]), 0xb35b2fc9, 0xdc4a0b8d)
        s = s &+ nh((k.words[30] & m.words[30]), 0xf75f6cf1, 0x6af076a7)
        s = s &+ nh((k.words[31] & m.words[31]), 0x839b3ed9, 0x0d7933a3)
        s = s &+ nh((k.words[32] & m.words[32]), 0x83b6fbe3, 0x03b138f3)
        s = s &+ nh((k.words[33] & m.words[33]), 0x4c64f3b7, 0xafcbca55)
        s = s &+ nh((k.words[34] & m.words[34]), 0xd7b7bfd1, 0xebf605a7)
        s = s &+ nh((k.words[35] & m.words[35]), 0x369516eb, 0x8451f0f3)
        s = s &+ nh((k.words[36] & m.words[36]), 0x38fc23a9, 0xb29e10ff)
        s = s &+ nh((k.words[37] & m.words[37]), 0x10782485, 0xad4caed1)
        s = s &+ nh((k.words[38] & m.words[38]), 0x8486dacb, 0xdfc32c37)
        s = s &+ nh((k.words[39] & m.words[39]), 0xff0312ff, 0x064590d9)
        s = s &+ nh((k.words[40] & m.words[40]), 0x92a9e08d, 0xffddcf77)
        s = s &+ nh((k.words[41] & m.words[41]), 0x3d9336d7, 0x1eb2b7fb)
        s = s &+ nh((k.words[42] & m.words[42]), 0x37d882f5, 0xff762a75)
        s = s &+ nh((k.words[43] & m.words[43]), 0x4d492343, 0xfb557e7b)
        s = s &+ nh((k.words[44] & m.words[44]), 0x96684785, 0xcaa15d0b)
        s = s &+ nh((k.words[45] & m.words[45]), 0x31a496df, 0x3f81df5d)
        s = s &+ nh((k.words[46] & m.words[46]), 0x830f90d7, 0x40a0f3b3)
        s = s &+ nh((k.words[47] & m.words[47]), 0xf2cadbf3, 0xbe10b133)
        s = s &+ nh((k.words[48] & m.words[48]), 0x0ab040c5, 0xbda8bf1f)
        s = s &+ nh((k.words[49] & m.words[49]), 0xfd63f7f5, 0xadcdcb4d)
        s = s &+ nh((k.words[50] & m.words[50]), 0x332a280d, 0x4060b747)
        s = s &+ nh((k.words[51] & m.words[51]), 0xf6001c3d, 0x9a8546b5)
        s = s &+ nh((k.words[52] & m.words[52]), 0x758363df, 0xcec7d3c1)
        s = s &+ nh((k.words[53] & m.words[53]), 0xdf603d75, 0x13ac4ba7)
        s = s &+ nh((k.words[54] & m.words[54]), 0x310ea407, 0x6c57ece7)
        s = s &+ nh((k.words[55] & m.words[55]), 0x8b0600bf, 0x8e37fb3d)
        s = s &+ nh((k.words[56] & m.words[56]), 0x9b99c20d, 0x858111ff)
        s = s &+ nh((k.words[57] & m.words[57]), 0x57171f99, 0x2a176481)
    }
    return finishHash(s)
}

@inlinable @inline(__always)
func flowHash(_ k: borrowing FlowKey, basis: UInt64) -> UInt64 {
    var s: UInt64 = basis &* 0x9e37_79b9_7f4a_7c15
    do {
        s = s &+ nh(k.words[0], 0xce343e35, 0xb127ebcd)
        s = s &+ nh(k.words[1], 0x4cef2d21, 0x36bb8df3)
        s = s &+ nh(k.words[2], 0xe1ce5833, 0x306683fd)
        s = s &+ nh(k.words[3], 0x883f7a0d, 0xf1c1d3e3)
        s = s &+ nh(k.words[4], 0xb79e8da1, 0x852f5c19)
        s = s &+ nh(k.words[5], 0xbf1f2b39, 0x322b1959)
        s = s &+ nh(k.words[6], 0xeec937d3, 0x29dabb5f)
        s = s &+ nh(k.words[7], 0xe84260f1, 0xc77e2225)
        s = s &+ nh(k.words[8], 0x43780823, 0x23e8a821)
        s = s &+ nh(k.words[9], 0x125f1175, 0x47b7b51d)
        s = s &+ nh(k.words[10], 0x12c4cda9, 0x285d302b)
        s = s &+ nh(k.words[11], 0x3546d401, 0x0b835465)
        s = s &+ nh(k.words[12], 0xc257ed4f, 0x25bb580b)
        s = s &+ nh(k.words[13], 0xf5e7af97, 0x5733ceef)
        s = s &+ nh(k.words[14], 0x6f86b1a7, 0x14f4a5e1)
        s = s &+ nh(k.words[15], 0xb73da10b, 0x6708223d)
        s = s &+ nh(k.words[16], 0x195dd06f, 0x065ec8fd)
        s = s &+ nh(k.words[17], 0xcf733767, 0x01df778d)
        s = s &+ nh(k.words[18], 0x126c77eb, 0x9e25efd5)
        s = s &+ nh(k.words[19], 0x7809848b, 0x5aa40d45)
        s = s &+ nh(k.words[20], 0xa522cbc7, 0x2d39cd79)
        s = s &+ nh(k.words[21], 0x6cac30f3, 0x142afe9b)
        s = s &+ nh(k.words[22], 0x82a0ce19, 0x70ac8225)
        s = s &+ nh(k.words[23], 0x8d2f1827, 0x31e8c553)
        s = s &+ nh(k.words[24], 0x4b43cceb, 0x4480b2c3)
        s = s &+ nh(k.words[25], 0x1b5bea91, 0x528f58a3)
        s = s &+ nh(k.words[26], 0x3dd0bc17, 0xb028a8af)
        s = s &+ nh(k.words[27], 0xc7a609a7, 0x04efa229)
        s = s &+ nh(k.words[28], 0xe3a714b3, 0x46d3029d)
        s = s &+ nh(k.words[29], 0xb35b2fc9, 0xdc4a0b8d)
        s = s &+ nh(k.words[30], 0xf75f6cf1, 0x6af076a7)
        s = s &+ nh(k.words[31], 0x839b3ed9, 0x0d7933a3)
        s = s &+ nh(k.words[32], 0x83b6fbe3, 0x03b138f3)
        s = s &+ nh(k.words[33], 0x4c64f3b7, 0xafcbca55)
        s = s &+ nh(k.words[34], 0xd7b7bfd1, 0xebf605a7)
        s = s &+ nh(k.words[35], 0x369516eb, 0x8451f0f3)
        s = s &+ nh(k.words[36], 0x38fc23a9, 0xb29e10ff)
        s = s &+ nh(k.words[37], 0x10782485, 0xad4caed1)
        s = s &+ nh(k.words[38], 0x8486dacb, 0xdfc32c37)
        s = s &+ nh(k.words[39], 0xff0312ff, 0x064590d9)
        s = s &+ nh(k.words[40], 0x92a9e08d, 0xffddcf77)
        s = s &+ nh(k.words[41], 0x3d9336d7, 0x1eb2b7fb)
        s = s &+ nh(k.words[42], 0x37d882f5, 0xff762a75)
        s = s &+ nh(k.words[43], 0x4d492343, 0xfb557e7b)
        s = s &+ nh(k.words[44], 0x96684785, 0xcaa15d0b)
        s = s &+ nh(k.words[45], 0x31a496df, 0x3f81df5d)
        s = s &+ nh(k.words[46], 0x830f90d7, 0x40a0f3b3)
        s = s &+ nh(k.words[47], 0xf2cadbf3, 0xbe10b133)
        s = s &+ nh(k.words[48], 0x0ab040c5, 0xbda8bf1f)
        s = s &+ nh(k.words[49], 0xfd63f7f5, 0xadcdcb4d)
        s = s &+ nh(k.words[50], 0x332a280d, 0x4060b747)
        s = s &+ nh(k.words[51], 0xf6001c3d, 0x9a8546b5)
        s = s &+ nh(k.words[52], 0x758363df, 0xcec7d3c1)
        s = s &+ nh(k.words[53], 0xdf603d75, 0x13ac4ba7)
        s = s &+ nh(k.words[54], 0x310ea407, 0x6c57ece7)
        s = s &+ nh(k.words[55], 0x8b0600bf, 0x8e37fb3d)
        s = s &+ nh(k.words[56], 0x9b99c20d, 0x858111ff)
        s = s &+ nh(k.words[57], 0x57171f99, 0x2a176481)
    }
    return finishHash(s)
}
