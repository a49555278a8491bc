// Policies every render of the chart keeps: never privileged, capabilities dropped to ALL plus exactly
// what the enabled collectors need (CollectorRights), hostPID only with the sockets collector, a
// read-only root filesystem, seccomp RuntimeDefault, hostNetwork with ClusterFirstWithHostNet, every
// taint tolerated, the priority class, liveness /healthz and readiness /readyz on the agent's port, the
// downward-API variables, resources, and a headless Service whose name is the --probe.service the agent
// gets. Every failing render is reported, not only the first.
using k8s.Models;
using Netsight.Deploy.Tests.Tools;

namespace Netsight.Deploy.Tests.Chart;

public sealed class ChartPolicyTests
{
    [Fact]
    public void EveryCollectorCombination_GetsExactlyItsCapabilities()
    {
        var failures = new List<string>();
        foreach (var on in ChartVariants.CollectorCombinations())
        {
            string what = ChartVariants.Describe(on);
            var ds = HelmRender.Chart(ChartVariants.CollectorArgs(on)).Single<V1DaemonSet>("DaemonSet");
            var pod = ds.Spec.Template.Spec;
            var sc = Assert.Single(pod.Containers).SecurityContext;
            var expected = CollectorRights.For(on);
            var added = sc.Capabilities.Add?.ToList() ?? [];
            if (!added.SequenceEqual(expected)) failures.Add($"{what}: capabilities add [{string.Join(",", added)}], expected [{string.Join(",", expected)}]");
            if (sc.Capabilities.Drop is not ["ALL"]) failures.Add($"{what}: drop [{string.Join(",", sc.Capabilities.Drop ?? [])}], expected [ALL]");
            if ((pod.HostPID ?? false) != CollectorRights.NeedsHostPid(on)) failures.Add($"{what}: hostPID {pod.HostPID}");
            // The API server refuses allowPrivilegeEscalation=false beside SYS_ADMIN; otherwise it must be false.
            if (sc.AllowPrivilegeEscalation != expected.Contains("SYS_ADMIN")) failures.Add($"{what}: allowPrivilegeEscalation {sc.AllowPrivilegeEscalation}");
            var args = pod.Containers[0].Args;
            foreach (string c in ChartVariants.Collectors)
            {
                string flag = on.Contains(c) ? $"--collector.{c}" : $"--no-collector.{c}";
                if (!args.Contains(flag)) failures.Add($"{what}: args lack {flag}: {string.Join(' ', args)}");
            }
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public void EveryRender_KeepsTheSecurityAndSchedulingPolicies()
    {
        var failures = new List<string>();
        var renders = ChartVariants.Named().Select(n => (n.Name, HelmRender.Chart(n.Args)))
            .Concat(ChartVariants.CollectorCombinations().Select(on => (ChartVariants.Describe(on), HelmRender.Chart(ChartVariants.CollectorArgs(on)))));
        foreach (var (what, r) in renders)
        {
            void Check(bool ok, string message) { if (!ok) failures.Add($"{what}: {message}"); }
            var ds = r.Single<V1DaemonSet>("DaemonSet");
            var pod = ds.Spec.Template.Spec;
            var c = Assert.Single(pod.Containers);
            var sc = c.SecurityContext;
            Check(sc.Privileged == false, $"privileged {sc.Privileged}");
            Check(sc.ReadOnlyRootFilesystem == true, "root filesystem not read-only");
            Check(sc.SeccompProfile?.Type == "RuntimeDefault" && pod.SecurityContext?.SeccompProfile?.Type == "RuntimeDefault", "seccomp not RuntimeDefault");
            Check(sc.Capabilities.Drop is ["ALL"], "capabilities not dropped to ALL");
            Check(pod.HostNetwork == true && pod.DnsPolicy == "ClusterFirstWithHostNet", $"hostNetwork {pod.HostNetwork}, dnsPolicy {pod.DnsPolicy}");
            Check(pod.Tolerations?.Any(t => t.OperatorProperty == "Exists" && t.Key is null && (t.Effect is null || what == "full values")) == true, "not every taint tolerated");
            if (what != "minimal" && what != "full values") Check(pod.PriorityClassName == "system-node-critical", $"priorityClassName {pod.PriorityClassName}");
            if (what != "minimal") Check(c.Resources?.Requests?.ContainsKey("memory") == true && c.Resources.Limits?.ContainsKey("memory") == true, "no memory request and limit");
            Check(c.Args[0] == "agent", "args do not start with the agent command");

            // Probes on the container's port.
            var port = Assert.Single(c.Ports);
            foreach (var problem in new[] { ChartWebConfig.ProbeProblem("liveness", c.LivenessProbe, "/healthz", port.Name, c.Args), ChartWebConfig.ProbeProblem("readiness", c.ReadinessProbe, "/readyz", port.Name, c.Args) })
                Check(problem is null, problem!);
            Check(c.Args.Any(a => a.StartsWith("--listen=", StringComparison.Ordinal) && a.EndsWith(":" + port.ContainerPort, StringComparison.Ordinal)), $"--listen does not use containerPort {port.ContainerPort}");

            // Downward API.
            (string Name, string Field)[] env = [("NODE_NAME", "spec.nodeName"), ("POD_IP", "status.podIP"), ("POD_NAMESPACE", "metadata.namespace")];
            foreach (var (name, field) in env)
                Check(c.Env?.Any(e => e.Name == name && e.ValueFrom?.FieldRef?.FieldPath == field) == true, $"{name} is not from {field}");

            // The probes find their peers through the headless Service the chart makes.
            var svc = r.OfKind("Service").Select(m => (V1Service)m.Typed!).SingleOrDefault(s => s.Metadata.Labels["app.kubernetes.io/component"] == "agent");
            if (svc is not null)
            {
                Check(svc.Spec.ClusterIP == "None", "Service is not headless");
                Check(svc.Spec.Selector.All(kv => ds.Spec.Template.Metadata.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value), "Service selector does not select the agents");
                Check(svc.Spec.Ports.Single().TargetPort.Value == port.Name, "Service targets another port");
                string service = $"--probe.service={svc.Metadata.NamespaceProperty}/{svc.Metadata.Name}";
                if (what != "full values" && c.Args.Contains("--collector.probes")) Check(c.Args.Contains(service), $"args lack {service}");
            }
            Check(ds.Spec.Selector.MatchLabels.All(kv => ds.Spec.Template.Metadata.Labels[kv.Key] == kv.Value), "selector does not match the pod labels");
        }
        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }
}
