package report

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/oomlens/oomlens/correlate"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const schemaPath = "../docs/report.schema.json"

// compileSchema compiles docs/report.schema.json with format assertions on,
// so that every time is checked as RFC 3339.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("report.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("report.schema.json")
	if err != nil {
		t.Fatalf("compile %s: %v", schemaPath, err)
	}
	return s
}

// TestJSONMatchesSchema validates the JSON rendering of every fixture
// against docs/report.schema.json.
func TestJSONMatchesSchema(t *testing.T) {
	s := compileSchema(t)
	for _, fx := range fixtures() {
		var buf bytes.Buffer
		if err := Render(&buf, fx.report, "json", Options{}); err != nil {
			t.Fatal(err)
		}
		v, err := jsonschema.UnmarshalJSON(&buf)
		if err != nil {
			t.Fatalf("%s: the JSON does not parse: %v", fx.name, err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("%s: the JSON does not match %s:\n%v", fx.name, schemaPath, err)
		}
	}
}

// TestSchemaRejects: the schema is strict enough to catch what the renderer
// must never write (a null list, an unknown key, a bad time, a share above
// 1), so the validation above can fail.
func TestSchemaRejects(t *testing.T) {
	s := compileSchema(t)
	var buf bytes.Buffer
	if err := Render(&buf, memcgTwoLeaks(), "json", Options{}); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(m map[string]any){
		"null list":       func(m map[string]any) { m["leaks"] = nil },
		"missing key":     func(m map[string]any) { delete(m, "hogs") },
		"unknown key":     func(m map[string]any) { m["leaked"] = []any{} },
		"wrong schema":    func(m map[string]any) { m["schema"] = "oomlens/report/v2" },
		"bad time":        func(m map[string]any) { m["kills"].([]any)[0].(map[string]any)["time"] = "20 Nov 2026 14:05" },
		"share above one": func(m map[string]any) { m["leaks"].([]any)[0].(map[string]any)["share_of_kill"] = 1.5 },
		"bad confidence":  func(m map[string]any) { m["leaks"].([]any)[0].(map[string]any)["confidence"] = "certain" },
		"null open_objects": func(m map[string]any) {
			m["leaks"].([]any)[0].(map[string]any)["open_objects"] = nil
		},
	} {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		if err := s.Validate(m); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}

// TestSchemaCoversModel walks correlate.Report by reflection: every JSON key
// of the model is a property of the schema at the same place, every property
// of the schema is a key of the model, and "required" lists exactly the keys
// without omitempty. A field added to the model without the schema (or the
// reverse) fails here.
func TestSchemaCoversModel(t *testing.T) {
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var root map[string]any
	if err := json.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	defs, _ := root["$defs"].(map[string]any)
	var resolve func(node map[string]any) map[string]any
	resolve = func(node map[string]any) map[string]any {
		if items, ok := node["items"].(map[string]any); ok {
			return resolve(items)
		}
		if ref, ok := node["$ref"].(string); ok {
			def, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
			if !ok {
				t.Fatalf("unresolved $ref %q", ref)
			}
			return resolve(def)
		}
		return node
	}
	var walk func(path string, typ reflect.Type, node map[string]any)
	walk = func(path string, typ reflect.Type, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		var model, required []string
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" { // not in the JSON (Report.TimelineTotal)
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			model = append(model, name)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
			prop, ok := props[name].(map[string]any)
			if !ok {
				t.Errorf("%s.%s: in the model, not in the schema", path, name)
				continue
			}
			ft := f.Type
			for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				walk(path+"."+name, ft, resolve(prop))
			}
		}
		var schema []string
		for k := range props {
			schema = append(schema, k)
		}
		var req []string
		for _, r := range node["required"].([]any) {
			req = append(req, r.(string))
		}
		sort.Strings(model)
		sort.Strings(schema)
		sort.Strings(required)
		sort.Strings(req)
		if !reflect.DeepEqual(model, schema) {
			t.Errorf("%s: model keys %q, schema properties %q", path, model, schema)
		}
		if !reflect.DeepEqual(required, req) {
			t.Errorf("%s: keys without omitempty %q, schema required %q", path, required, req)
		}
		if node["additionalProperties"] != false {
			t.Errorf("%s: the schema allows additional properties", path)
		}
	}
	walk("report", reflect.TypeOf(correlate.Report{}), root)
}
