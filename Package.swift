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
        .executableTarget(
            name: "svs",
            dependencies: [
                "Wire", "Flow", "Datapath", "NetDevices", "DPIF", "OVSDB", "OVSDBServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "svs-bench",
            dependencies: [
                "Wire", "Flow", "Datapath", "NetDevices", "DPIF",
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
    ]
)
