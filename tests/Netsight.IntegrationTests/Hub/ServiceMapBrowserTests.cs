// The service map in a real browser (chromium through Selenium): a hub holding a small mesh (frontend ->
// api -> db and cache, frontend -> an outside address, one lossy edge) draws every workload as a node and
// every client->server pair as an edge, colours the lossy edge red, filters by namespace, and a click on a
// node shows its numbers and top connections. A screenshot is saved next to the test binaries.
using System.Net;
using OpenQA.Selenium;
using Netsight.IntegrationTests.Lab;

namespace Netsight.IntegrationTests.Hub;

public sealed class ServiceMapBrowserTests
{
    [Fact]
    public void MapDrawsWorkloadsAndEdgesAndShowsDetailsOnClick()
    {
        string dir = Directory.CreateTempSubdirectory("netsight-hub-map-").FullName;
        try
        {
            using var hub = HubProcess.Start("--store", "sqlite:" + Path.Combine(dir, "hub.db"));
            // Six client->server pairs over five workloads and one outside address; api->db loses segments.
            (string Client, string ClientIp, string Server, string ServerIp, string ServerNs, int Port, long Bytes, long Retrans)[] mesh =
            [
                ("frontend", "10.0.0.1", "api", "10.0.1.1", "shop", 8080, 4_000_000, 0),
                ("api", "10.0.1.1", "db", "10.0.2.1", "data", 5432, 900_000, 400),
                ("api", "10.0.1.1", "cache", "10.0.2.2", "data", 6379, 300_000, 0),
                ("frontend", "10.0.0.1", "", "203.0.113.10", "", 443, 80_000, 1),
                ("worker", "10.0.0.7", "db", "10.0.2.1", "data", 5432, 50_000, 0),
                ("worker", "10.0.0.7", "api", "10.0.1.1", "shop", 8080, 20_000, 0),
            ];
            int seq = 0;
            foreach (var e in mesh)
                Assert.Equal(HttpStatusCode.OK, hub.Push("node-1", ++seq, e.ClientIp, e.ServerIp, e.Port, "shop", e.Client, e.ServerNs, e.Server, e.Bytes, e.Retrans));

            using var browser = new Browser();
            browser.Page.Navigate().GoToUrl(new Uri(hub.BaseUri, "/"));
            browser.WaitFor("document.body.dataset.loaded === 'true'", "the map to load");
            var nodes = browser.Page.FindElements(By.CssSelector("#nodes g.node"));
            var edges = browser.Page.FindElements(By.CssSelector("#edges g.edge"));
            Assert.Equal(["203.0.113.10", "data/cache", "data/db", "shop/api", "shop/frontend", "shop/worker"],
                nodes.Select(n => n.GetAttribute("data-id")).Order(StringComparer.Ordinal));
            Assert.Equal(mesh.Length, edges.Count);
            IWebElement lossy = edges.Single(e => e.GetAttribute("data-id") == "shop/api->data/db");
            Assert.Contains("bad", lossy.GetAttribute("class"), StringComparison.Ordinal);
            Assert.Contains("ok", edges.Single(e => e.GetAttribute("data-id") == "shop/frontend->shop/api").GetAttribute("class"), StringComparison.Ordinal);
            // Wider for more bytes.
            double Width(string id) => double.Parse(edges.Single(e => e.GetAttribute("data-id") == id).FindElement(By.TagName("line")).GetAttribute("stroke-width")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(Width("shop/frontend->shop/api") > Width("shop/worker->shop/api"));

            // Click a node: its numbers and its top connections.
            browser.Page.FindElement(By.CssSelector("#nodes g.node[data-id='data/db'] circle")).Click();
            browser.WaitFor("document.querySelectorAll('#top-connections tr.connection').length === 2", "db's two connections");
            string details = browser.Page.FindElement(By.Id("details")).Text;
            Assert.Contains("data/db", details, StringComparison.Ordinal);
            Assert.Contains("retransmits", details, StringComparison.Ordinal);
            browser.Screenshot(Path.Combine(AppContext.BaseDirectory, "service-map.png"));

            // The namespace filter keeps the edges that touch it.
            browser.Page.ExecuteScript("const s = document.getElementById('namespace'); s.value = 'data'; s.dispatchEvent(new Event('change'));");
            browser.WaitFor("document.querySelectorAll('#edges g.edge').length === 3", "the data namespace's three edges");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
