// The values and objects a Helm template sees: the chart's values.yaml coalesced with -f files and --set
// flags (Helm's pkg/cli/values mergeMaps, pkg/strvals, pkg/chart/common/util coalesce.go: a user null
// deletes a default key), validated against values.schema.json with gojsonschema as Helm 3 does, and
// .Chart (Chart.yaml with Helm's field names), .Release, .Capabilities and .Files.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/xeipuuv/gojsonschema"
	"sigs.k8s.io/yaml"
)

// readValues parses YAML like Helm's ReadValues: through JSON, so every number is a float64.
func readValues(data []byte) (map[string]any, error) {
	vals := map[string]any{}
	if err := yaml.Unmarshal(data, &vals); err != nil {
		return nil, err
	}
	if vals == nil {
		vals = map[string]any{}
	}
	return vals, nil
}

func readValuesFile(name string) (map[string]any, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	vals, err := readValues(data)
	if err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", name, err)
	}
	return vals, nil
}

// mergeMaps merges -f files in order, later ones winning, maps merged key by key (Helm's mergeMaps).
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if v, ok := v.(map[string]any); ok {
			if bv, ok := out[k]; ok {
				if bv, ok := bv.(map[string]any); ok {
					out[k] = mergeMaps(bv, v)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}

// coalesce lays the user's values over the chart's defaults (Helm's coalesceValues for a chart without
// dependencies): user values win, maps merge recursively, and a user null removes the default.
func coalesce(user, defaults map[string]any, prefix string, warn func(string)) map[string]any {
	if user == nil {
		user = map[string]any{}
	}
	for key, val := range deepCopy(defaults).(map[string]any) {
		full := joinKey(prefix, key)
		if value, ok := user[key]; ok {
			if value == nil {
				delete(user, key)
			} else if dest, ok := value.(map[string]any); ok {
				if src, ok := val.(map[string]any); ok {
					coalesceTables(dest, src, full, warn)
				} else if val != nil {
					warn(fmt.Sprintf("warning: skipped value for %s: Not a table.", full))
				}
			}
		} else {
			user[key] = val
		}
	}
	return user
}

func coalesceTables(dst, src map[string]any, prefix string, warn func(string)) {
	for key, val := range src {
		full := joinKey(prefix, key)
		dv, ok := dst[key]
		switch {
		case ok && dv == nil:
			delete(dst, key)
		case !ok:
			dst[key] = val
		case isTable(val):
			if isTable(dv) {
				coalesceTables(dv.(map[string]any), val.(map[string]any), full, warn)
			} else {
				warn(fmt.Sprintf("warning: cannot overwrite table with non table for %s (%v)", full, val))
			}
		case isTable(dv) && val != nil:
			warn(fmt.Sprintf("warning: destination for %s is a table. Ignoring non-table value (%v)", full, val))
		}
	}
}

func isTable(v any) bool { _, ok := v.(map[string]any); return ok }

func joinKey(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		a := make([]any, len(t))
		for i, x := range t {
			a[i] = deepCopy(x)
		}
		return a
	default:
		return v
	}
}

// validateSchema checks the final values against values.schema.json (Helm 3's ValidateAgainstSingleSchema).
func validateSchema(values map[string]any, schema []byte) error {
	valuesJSON, err := json.Marshal(values)
	if err != nil {
		return err
	}
	schemaJSON, err := yaml.YAMLToJSON(schema)
	if err != nil {
		return fmt.Errorf("values.schema.json: %w", err)
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schemaJSON), gojsonschema.NewBytesLoader(valuesJSON))
	if err != nil {
		return fmt.Errorf("values.schema.json: %w", err)
	}
	if result.Valid() {
		return nil
	}
	var sb strings.Builder
	for _, e := range result.Errors() {
		sb.WriteString(fmt.Sprintf("- %s\n", e))
	}
	return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", sb.String())
}

// chartMetadata maps Chart.yaml's keys to the field names templates use (.Chart.Name, .Chart.AppVersion).
func chartMetadata(data []byte) (map[string]any, error) {
	raw := map[string]any{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %w", err)
	}
	names := map[string]string{
		"apiVersion": "APIVersion", "name": "Name", "version": "Version", "kubeVersion": "KubeVersion",
		"description": "Description", "type": "Type", "keywords": "Keywords", "home": "Home", "sources": "Sources",
		"dependencies": "Dependencies", "maintainers": "Maintainers", "icon": "Icon", "appVersion": "AppVersion",
		"deprecated": "Deprecated", "annotations": "Annotations", "condition": "Condition", "tags": "Tags",
	}
	meta := map[string]any{"IsRoot": true}
	for k, v := range raw {
		n, ok := names[k]
		if !ok {
			return nil, fmt.Errorf("Chart.yaml: unknown field %q", k)
		}
		meta[n] = v
	}
	for _, required := range []string{"APIVersion", "Name", "Version"} {
		if s, _ := meta[required].(string); s == "" {
			return nil, fmt.Errorf("Chart.yaml: %s is required", required)
		}
	}
	return meta, nil
}

// kubeVersion is .Capabilities.KubeVersion ("v1.34.0" when printed).
type kubeVersion struct {
	Version string
	Major   string
	Minor   string
}

func (k kubeVersion) String() string     { return k.Version }
func (k kubeVersion) GitVersion() string { return k.Version }

// versionSet is .Capabilities.APIVersions.
type versionSet []string

func (v versionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

// builtinAPIVersions are the group/versions a current API server serves (Helm's DefaultVersionSet lists
// those its client library knows); --api-versions adds others, such as monitoring.coreos.com/v1.
var builtinAPIVersions = []string{
	"v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "apiregistration.k8s.io/v1",
	"apps/v1", "authentication.k8s.io/v1", "authorization.k8s.io/v1", "autoscaling/v1", "autoscaling/v2",
	"batch/v1", "certificates.k8s.io/v1", "coordination.k8s.io/v1", "discovery.k8s.io/v1", "events.k8s.io/v1",
	"flowcontrol.apiserver.k8s.io/v1", "networking.k8s.io/v1", "node.k8s.io/v1", "policy/v1",
	"rbac.authorization.k8s.io/v1", "resource.k8s.io/v1", "scheduling.k8s.io/v1", "storage.k8s.io/v1",
}

func parseKubeVersion(s string) (kubeVersion, error) {
	v := strings.TrimPrefix(s, "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return kubeVersion{}, fmt.Errorf("invalid --kube-version %q (want e.g. v1.34.0)", s)
	}
	if len(parts) == 2 {
		v += ".0"
	}
	return kubeVersion{Version: "v" + v, Major: parts[0], Minor: parts[1]}, nil
}
