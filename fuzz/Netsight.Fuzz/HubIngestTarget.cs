// hub: a pushed batch body through the hub's ingest up to the store: BatchReader.ReadAsync (size limits,
// gzip when the body starts with gzip's magic, as Content-Encoding: gzip does, JSON, Validate) and
// BatchRows.From, the rows IngestEndpoint hands to the store (no database: the store's SQL is not a parser
// of outside bytes). Refusals are results (Oversize, Malformed: counted in netsight_hub_batches_total);
// no exception is documented.
using Netsight.Hub.Store;
using Netsight.Hub.Wire;

namespace Netsight.Fuzz;

public static class HubIngestTarget
{
    /// <summary>The hub's default --max-batch-bytes.</summary>
    private static readonly BatchReader Reader = new(16 * 1024 * 1024);

    public static void Run(ReadOnlySpan<byte> input)
    {
        bool gzip = input.Length >= 2 && input[0] == 0x1f && input[1] == 0x8b;
        using var body = new MemoryStream(input.ToArray(), writable: false);
        var (batch, _, _) = Reader.ReadAsync(body, gzip, input.Length, CancellationToken.None).GetAwaiter().GetResult();
        if (batch is null) return;
        BatchRows rows = BatchRows.From(batch, 1_700_000_000_000, TimeSpan.FromDays(7), ip => ip.StartsWith("10.", StringComparison.Ordinal) ? ("shop", "checkout") : null);
        _ = rows.Transactions.Count;
    }
}
