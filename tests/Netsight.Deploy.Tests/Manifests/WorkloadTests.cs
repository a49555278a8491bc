// deploy/workload: every object is valid Kubernetes 1.34 (schemas and the strict reader), the load Jobs
// target the Services the files define, and the refused variant's Service really points at a port its
// pods do not serve.
using k8s.Models;
using Netsight.Deploy.Tests.Tools;

namespace Netsight.Deploy.Tests.Manifests;

public sealed class WorkloadTests
{
    private static readonly string[] Files = ["deploy/workload/workload.yaml", "deploy/workload/workload-faults.yaml"];

    [Fact]
    public void Workload_IsValid_AndTheJobsTargetItsServices()
    {
        var inputs = Files.Select(f => (f, File.ReadAllText(Repo.PathOf(f)))).ToList();
        var (objects, failures) = KubeValidator.Validate(inputs);
        Assert.True(failures.Count == 0, string.Join('\n', failures));
        var manifests = inputs.SelectMany(i => HelmRender.Parse(i.Item2)).ToList();
        Assert.Equal(manifests.Count, objects.Count);

        var services = manifests.Where(m => m.Kind == "Service").Select(m => (V1Service)m.Typed!).ToDictionary(s => s.Metadata.Name);
        var deployments = manifests.Where(m => m.Kind == "Deployment").Select(m => (V1Deployment)m.Typed!).ToList();
        foreach (var job in manifests.Where(m => m.Kind == "Job").Select(m => (V1Job)m.Typed!))
        {
            string script = string.Join('\n', job.Spec.Template.Spec.Containers[0].Args);
            var targets = System.Text.RegularExpressions.Regex.Matches(script, @"http://([a-z-]+)\.netsight-demo\.svc").Select(m => m.Groups[1].Value).ToList();
            Assert.NotEmpty(targets);
            Assert.All(targets, t => Assert.True(services.ContainsKey(t), $"{job.Metadata.Name} loads {t}, which no Service of deploy/workload is"));
        }
        foreach (var svc in services.Values)
        {
            var pods = deployments.Where(d => svc.Spec.Selector.All(kv => d.Spec.Template.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value)).ToList();
            Assert.True(pods.Count > 0, $"Service {svc.Metadata.Name} selects no Deployment");
            var ports = pods.SelectMany(d => d.Spec.Template.Spec.Containers.SelectMany(c => c.Ports ?? [])).ToList();
            bool served = ports.Any(p => p.Name == svc.Spec.Ports[0].TargetPort.Value || p.ContainerPort.ToString(System.Globalization.CultureInfo.InvariantCulture) == svc.Spec.Ports[0].TargetPort.Value);
            Assert.True(served == (svc.Metadata.Name != "backend-refused"), $"Service {svc.Metadata.Name}: target port served {served}");
        }
    }
}
