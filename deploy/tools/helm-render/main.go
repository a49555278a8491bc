// helm-render: `helm template` for one chart directory, without helm (which no package registry reachable
// here ships). Usage, as helm's:
//
//	helm-render [NAME] CHART [-n NAMESPACE] [-f values.yaml]... [--set k=v]... [--set-string k=v]...
//	            [--kube-version v1.34.0] [-a group/version]... [-s templates/x.yaml]... [--notes]
//
// Output is helm's: the manifests of every template, split at `---`, empty ones dropped, in Helm's
// install order by kind, each as "---\n# Source: CHART/templates/FILE\n<yaml>". --notes prints the
// rendered NOTES.txt instead. Errors (a bad flag, a schema violation, `required`, `fail`, a YAML parse
// error) go to stderr with exit code 1.
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"helmrender/strvals"

	"github.com/Masterminds/semver"
	"sigs.k8s.io/yaml"
)

type options struct {
	name, chart, namespace, kubeVersion string
	valueFiles, set, setString, apis    []string
	showOnly                            []string
	notes                               bool
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func parseArgs(args []string) (options, error) {
	o := options{name: "release-name", namespace: "default", kubeVersion: "v1.34.0"}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		key, value, hasValue := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "-") {
			positional = append(positional, a)
			continue
		}
		if a == "--notes" {
			o.notes = true
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				return o, fmt.Errorf("flag needs an argument: %s", a)
			}
			i++
			value = args[i]
		}
		switch key {
		case "-n", "--namespace":
			o.namespace = value
		case "-f", "--values":
			o.valueFiles = append(o.valueFiles, value)
		case "--set":
			o.set = append(o.set, value)
		case "--set-string":
			o.setString = append(o.setString, value)
		case "--kube-version":
			o.kubeVersion = value
		case "-a", "--api-versions":
			o.apis = append(o.apis, value)
		case "-s", "--show-only":
			o.showOnly = append(o.showOnly, value)
		default:
			return o, fmt.Errorf("unknown flag: %s", key)
		}
	}
	switch len(positional) {
	case 1:
		o.chart = positional[0]
	case 2:
		o.name, o.chart = positional[0], positional[1]
	default:
		return o, fmt.Errorf("usage: helm-render [NAME] CHART [flags]")
	}
	return o, nil
}

func run(args []string) error {
	o, err := parseArgs(args)
	if err != nil {
		return err
	}
	kube, err := parseKubeVersion(o.kubeVersion)
	if err != nil {
		return err
	}
	c, err := loadChart(o.chart)
	if err != nil {
		return err
	}

	if constraint, _ := c.meta["KubeVersion"].(string); constraint != "" {
		cons, err := semver.NewConstraint(constraint)
		if err != nil {
			return fmt.Errorf("Chart.yaml kubeVersion %q: %w", constraint, err)
		}
		if v, err := semver.NewVersion(kube.Version); err != nil || !cons.Check(v) {
			return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", constraint, kube.Version)
		}
	}

	user := map[string]any{}
	for _, f := range o.valueFiles {
		vals, err := readValuesFile(f)
		if err != nil {
			return err
		}
		user = mergeMaps(user, vals)
	}
	for _, s := range o.set {
		if err := strvals.ParseInto(s, user); err != nil {
			return fmt.Errorf("failed parsing --set data: %w", err)
		}
	}
	for _, s := range o.setString {
		if err := strvals.ParseIntoString(s, user); err != nil {
			return fmt.Errorf("failed parsing --set-string data: %w", err)
		}
	}
	values := coalesce(user, c.values, "", func(w string) { fmt.Fprintln(os.Stderr, w) })
	if c.schema != nil {
		if err := validateSchema(values, c.schema); err != nil {
			return err
		}
	}

	chartName := c.meta["Name"].(string)
	top := map[string]any{
		"Values":  values,
		"Chart":   c.meta,
		"Files":   c.files,
		"Release": map[string]any{"Name": o.name, "Namespace": o.namespace, "IsUpgrade": false, "IsInstall": true, "Revision": 1, "Service": "Helm"},
		"Capabilities": map[string]any{
			"KubeVersion": kube,
			"APIVersions": versionSet(append(append([]string{}, builtinAPIVersions...), o.apis...)),
			"HelmVersion": map[string]any{"Version": "v3.18.0"},
		},
		"Subcharts": map[string]any{},
	}
	rendered, err := render(c.templates, top, chartName+"/templates")
	if err != nil {
		return err
	}
	if o.notes {
		fmt.Print(rendered[chartName+"/templates/NOTES.txt"])
		return nil
	}
	manifests, err := sortManifests(rendered)
	if err != nil {
		return err
	}
	for _, m := range manifests {
		if len(o.showOnly) > 0 && !matchesAny(m.source, chartName, o.showOnly) {
			continue
		}
		fmt.Printf("---\n# Source: %s\n%s\n", m.source, m.content)
	}
	return nil
}

func matchesAny(source, chartName string, patterns []string) bool {
	for _, p := range patterns {
		if source == p || source == chartName+"/"+p {
			return true
		}
	}
	return false
}

type chart struct {
	meta      map[string]any
	values    map[string]any
	schema    []byte
	templates map[string]string
	files     files
}

// loadChart reads a chart directory as Helm's loader does (symbolic links followed), honouring .helmignore.
func loadChart(dir string) (*chart, error) {
	c := &chart{values: map[string]any{}, templates: map[string]string{}, files: files{}}
	metaData, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("%s is not a chart: %w", dir, err)
	}
	if c.meta, err = chartMetadata(metaData); err != nil {
		return nil, err
	}
	ignore := helmignore(dir)
	err = walk(dir, "", func(rel string, data []byte) error {
		for _, p := range ignore {
			if ok, _ := path.Match(p, rel); ok {
				return nil
			}
			if ok, _ := path.Match(p, path.Base(rel)); ok {
				return nil
			}
		}
		switch {
		case rel == "Chart.yaml" || rel == ".helmignore":
		case rel == "values.yaml":
			vals, err := readValues(data)
			if err != nil {
				return fmt.Errorf("values.yaml: %w", err)
			}
			c.values = vals
		case rel == "values.schema.json":
			c.schema = data
		case strings.HasPrefix(rel, "templates/"):
			c.templates[c.meta["Name"].(string)+"/"+rel] = string(data)
		case strings.HasPrefix(rel, "charts/"):
			return fmt.Errorf("subcharts are not supported (%s)", rel)
		default:
			c.files[rel] = data
		}
		return nil
	})
	return c, err
}

func helmignore(dir string) []string {
	data, err := os.ReadFile(filepath.Join(dir, ".helmignore"))
	if err != nil {
		return nil
	}
	var patterns []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.TrimSuffix(line, "/"))
		}
	}
	return patterns
}

func walk(root, rel string, visit func(string, []byte) error) error {
	entries, err := os.ReadDir(filepath.Join(root, rel))
	if err != nil {
		return err
	}
	for _, e := range entries {
		r := path.Join(rel, e.Name())
		info, err := os.Stat(filepath.Join(root, r)) // follows symbolic links
		if err != nil {
			return err
		}
		if info.IsDir() {
			if err := walk(root, r, visit); err != nil {
				return err
			}
			continue
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file (%s)", r, info.Mode()&fs.ModeType)
		}
		data, err := os.ReadFile(filepath.Join(root, r))
		if err != nil {
			return err
		}
		if err := visit(r, data); err != nil {
			return err
		}
	}
	return nil
}

type manifest struct {
	source, content, kind string
}

var separator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// sortManifests splits every rendered file into documents (Helm 3's SplitManifests) and orders them by
// Helm's InstallOrder of kinds, files in name order and documents in file order within a kind.
func sortManifests(rendered map[string]string) ([]manifest, error) {
	names := make([]string, 0, len(rendered))
	for n := range rendered {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []manifest
	for _, n := range names {
		if strings.HasSuffix(n, "NOTES.txt") || strings.TrimSpace(rendered[n]) == "" {
			continue
		}
		for _, doc := range separator.Split(rendered[n], -1) {
			doc = strings.TrimSpace(doc)
			if doc == "" {
				continue
			}
			var head struct {
				Kind string `json:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return nil, fmt.Errorf("YAML parse error on %s: %w", n, err)
			}
			out = append(out, manifest{source: n, content: doc, kind: head.Kind})
		}
	}
	order := map[string]int{}
	for i, k := range installOrder {
		order[k] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, aok := order[out[i].kind]
		b, bok := order[out[j].kind]
		switch {
		case !aok && !bok:
			return out[i].kind < out[j].kind
		case !aok:
			return false
		case !bok:
			return true
		}
		return a < b
	})
	return out, nil
}

// installOrder is Helm's releaseutil.InstallOrder.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList",
	"ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
	"Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
	"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
}
