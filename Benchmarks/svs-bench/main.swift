import ArgumentParser

/// `svs-bench`: benchmarks that print one line per figure, `NAME VALUE UNIT`.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "svs-bench", abstract: "svs benchmarks; each prints NAME VALUE UNIT lines.",
        subcommands: [ExtractBench.self, ParsePcapBench.self, DatapathBench.self, ClassifierBench.self, ForwardBench.self, XlateBench.self])
}

Bench.main()
