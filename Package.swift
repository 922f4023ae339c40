// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "svs",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "svs", targets: ["svs"]),
        .executable(name: "svs-bench", targets: ["svs-bench"]),
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "Flow", targets: ["Flow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.100.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // Linux structs and constants that Glibc does not export (headers only).
        .target(name: "CLinux"),
        // Byte-level views and builders of protocol headers, checksums, pcap.
        .target(name: "Wire"),
        // The flow key, masks, matches, extraction and the text syntaxes.
        .target(name: "Flow", dependencies: ["Wire"]),
        // Packet buffers and batches, ports, flow caches, datapath actions.
        .target(name: "Datapath", dependencies: ["Flow", "Wire"]),
        // Linux I/O behind the datapath's port protocol: AF_PACKET, TAP, AF_XDP,
        // and the in-memory `dummy` ports that tests use.
        .target(name: "NetDevices", dependencies: ["Datapath", "Wire", "CLinux"]),
        // The datapath interface: typed commands of the six families, TLV codec.
        .target(name: "DPIF", dependencies: ["Datapath", "Flow", "Wire"]),
        // OpenFlow tables and classifier, OpenFlow actions and their text syntax,
        // translation into datapath flows, NORMAL, upcall handlers, revalidators.
        .target(name: "OFProto", dependencies: ["DPIF", "Datapath", "Flow", "Wire"]),
        // The OpenFlow wire protocol (1.0 to 1.5 and Nicira extensions): message
        // codecs, and the connections of controllers and `ovs-ofctl` to a bridge.
        .target(name: "OpenFlow", dependencies: ["OFProto", "DPIF", "Datapath", "Flow", "Wire"]),
        // RFC 7047: data model, schema, transactions, durable log (server and
        // client come with the OVSDB issue).
        .target(name: "OVSDB"),
        // The OVSDB JSON-RPC server and client (RFC 7047 section 4) over SwiftNIO.
        .target(name: "OVSDBServer", dependencies: [
            "OVSDB",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        // A blocking JSON-RPC client of OVSDB servers: transactions, and a
        // monitor-driven replica of tables (what `svs vsctl` and the bridge use).
        .target(name: "OVSDBClient", dependencies: ["OVSDB"]),
        // The bridge layer: reads the Open_vSwitch database, builds bridges,
        // ports and interfaces in the datapaths and the slow path, writes status back.
        .target(name: "VSwitch", dependencies: [
            "OFProto", "OpenFlow", "DPIF", "Datapath", "NetDevices", "Flow", "Wire", "OVSDB", "OVSDBClient",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The `ovs-appctl` control protocol (JSON-RPC on a unix socket), the
        // command registry and logging in Open vSwitch's format.
        .target(name: "Unixctl", dependencies: [
            "OVSDB",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(
            name: "svs",
            dependencies: [
                "Wire", "Flow", "Datapath", "NetDevices", "DPIF", "OFProto", "OVSDB", "OVSDBServer",
                "OVSDBClient", "Unixctl", "OpenFlow", "VSwitch",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The release daemon carries the Swift runtime it uses instead of
            // mapping the shared libraries whole: 3 MB less resident memory.
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-l_FoundationCShims", "-l_FoundationCollections"],
                                          .when(configuration: .release))]),
        .executableTarget(
            name: "svs-bench",
            dependencies: [
                "Wire", "Flow", "Datapath", "NetDevices", "DPIF", "OFProto", "OVSDB", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/svs-bench"),
        .testTarget(name: "WireTests", dependencies: ["Wire"]),
        .testTarget(name: "FlowTests", dependencies: ["Flow", "Wire"]),
        .testTarget(name: "DatapathTests", dependencies: ["Datapath", "NetDevices", "Flow", "Wire"]),
        .testTarget(name: "DPIFTests", dependencies: ["DPIF", "Datapath", "Flow", "Wire"]),
        .testTarget(name: "NetDevicesTests", dependencies: ["NetDevices", "DPIF", "Datapath", "Flow", "Wire"]),
        .testTarget(name: "OVSDBTests", dependencies: ["OVSDB"]),
        .testTarget(name: "OVSDBServerTests", dependencies: ["OVSDBServer", "OVSDB"]),
        .testTarget(name: "OFProtoTests", dependencies: ["OFProto", "DPIF", "Datapath", "NetDevices", "Flow", "Wire"]),
        .testTarget(name: "OVSDBClientTests", dependencies: ["OVSDBClient", "OVSDBServer", "OVSDB"]),
        .testTarget(name: "UnixctlTests", dependencies: ["Unixctl", "OVSDB"]),
        .testTarget(name: "OpenFlowTests", dependencies: ["OpenFlow", "OFProto", "Flow", "Wire"]),
        .testTarget(name: "VSwitchTests", dependencies: [
            "VSwitch", "OFProto", "OpenFlow", "DPIF", "Datapath", "OVSDB", "OVSDBServer", "OVSDBClient",
        ]),
    ]
)
