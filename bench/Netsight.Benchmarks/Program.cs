// Entry point of the micro-benchmarks: BenchmarkDotNet over every [Benchmark] class in this assembly.
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
