using MLNet.Transfer.Runtime;
using TorchSharp;

Console.WriteLine($"LibTorch loaded. Device: cpu, threads: {torch.get_num_threads()}, CUDA available: {torch.cuda.is_available()}");
foreach (int threads in new[] { 1, 2 })
    Console.WriteLine($"fp32 1024x1024 matmul, {threads} thread(s): {MatmulPeak.MeasureGflops(threads):F0} GFLOP/s");
