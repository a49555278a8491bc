// `netsight hub`: the flags of the cluster aggregator and their translation into HubOptions. Bad values
// are usage errors (one line, exit 2) before anything starts: listen addresses, store URIs, durations, a
// token file that cannot be read or is empty.
using System.CommandLine;
using System.Net;
using Netsight.Cli.Flags;
using Netsight.Collectors;
using Netsight.Hosting;
using Netsight.Hub.Api;
using Netsight.Hub.Store;

namespace Netsight.Cli;

public static class HubCommand
{
    public static Command Create()
    {
        var defaults = new HubOptions();
        var listen = new Option<string[]>("--listen", "-p")
        {
            Description = "Address to serve the API, the service map and /metrics on: PORT, ADDR:PORT or [ADDR6]:PORT (repeatable; port 0 picks a free one).",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = OptionParsers.Listen,
            DefaultValueFactory = _ => [HubOptions.DefaultPort.ToString(System.Globalization.CultureInfo.InvariantCulture)],
        };
        var store = new Option<StoreLocation>("--store")
        {
            Description = "Where the hub keeps its data: sqlite:PATH (embedded, one hub) or postgres://USER:PASSWORD@HOST:PORT/DATABASE (several hubs).",
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
                if (StoreLocation.TryParse(text, out StoreLocation location, out string error)) return location;
                result.AddError($"invalid --store '{Redact(text)}': {error}");
                return defaults.Store;
            },
            DefaultValueFactory = _ => StoreLocation.TryParse(StoreLocation.DefaultSqlite, out StoreLocation l, out string _) ? l : defaults.Store,
        };
        var retention = new Option<TimeSpan>("--retention") { Description = "Connection records, edges, transactions and silent nodes older than this are deleted (e.g. 24h, 7d).", CustomParser = OptionParsers.Duration, DefaultValueFactory = _ => defaults.Retention };
        var tokenFile = new Option<string>("--token-file") { Description = "File holding the bearer token agents must send (Authorization: Bearer); without it every batch is accepted." };
        tokenFile.Validators.Add(result =>
        {
            string? path = result.GetValueOrDefault<string>();
            if (path is null) return;
            try
            {
                if (File.ReadAllText(path).Trim().Length == 0) result.AddError($"--token-file {path} is empty");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                result.AddError($"cannot read --token-file {path}: {e.Message}");
            }
        });
        var maxBatch = new Option<int>("--max-batch-bytes") { Description = "Largest compressed batch accepted; larger ones get 413.", CustomParser = OptionParsers.IntInRange(1024, 1 << 30), DefaultValueFactory = _ => (int)defaults.MaxBatchBytes };

        var maxConcurrent = new Option<int>("--max-concurrent-batches") { Description = "Batches read, decompressed and stored at once (each may hold 32 x --max-batch-bytes in memory); more wait up to 5 s, then get 503 and are retried.", CustomParser = OptionParsers.IntInRange(1, 1024), DefaultValueFactory = _ => defaults.MaxConcurrentBatches };
        var web = new WebFlags();

        var command = new Command("hub", "Run the cluster aggregator: agents push connection records, transactions and node metadata; serves the cluster API and the service map.")
        {
            listen, store, retention, tokenFile, maxBatch, maxConcurrent,
        };
        foreach (Option option in web.Options) command.Add(option);
        command.SetAction(parse =>
        {
            var options = defaults with
            {
                Listen = [.. (parse.GetValue(listen) ?? []).Select(l => AgentOptions.TryParseListen(l, out IPEndPoint e) ? e : new IPEndPoint(IPAddress.Any, HubOptions.DefaultPort))],
                Store = parse.GetValue(store)!,
                Retention = parse.GetValue(retention),
                TokenFile = parse.GetValue(tokenFile),
                MaxBatchBytes = parse.GetValue(maxBatch),
                MaxConcurrentBatches = parse.GetValue(maxConcurrent),
                Web = web.Apply(parse),
            };
            return HubHost.Run(options);
        });
        return command;
    }

    /// <summary>A store URI without its password, for error messages.</summary>
    private static string Redact(string text) =>
        System.Text.RegularExpressions.Regex.Replace(text, @"(://[^:/@]*:)[^@]*@", "$1***@");
}
