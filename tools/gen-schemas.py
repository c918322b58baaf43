#!/usr/bin/env python3
"""Generates Sources/SkiffModel/Schema/BuiltinSchemas*.swift from upstream Kubernetes v1.32 facts.

Run by hand (never in CI) when the served kinds or the Kubernetes version change:

    tools/gen-schemas.py --openapi SWAGGER_OR_V3_DIR --proto PROTO_ROOT --go GO_ROOT [--out Sources/SkiffModel/Schema]

Inputs (download them outside the repository):
  --openapi  either the v2 `swagger.json` of the release or the directory `api/openapi-spec/v3` of
             kubernetes/kubernetes (all `*_openapi.json` files in it are merged). Field names, value types, required
             lists and the x-kubernetes-* list/patch/map extensions come from here.
  --proto    a tree holding `k8s.io/api/<group>/<version>/generated.proto`, apimachinery's
             `k8s.io/apimachinery/pkg/{apis/meta/v1,api/resource,runtime,util/intstr}/generated.proto`,
             `k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/generated.proto` and
             `k8s.io/kube-aggregator/pkg/apis/apiregistration/v1/generated.proto`. Field numbers come from here.
  --go       the matching `types*.go` files under the same layout. Only two facts are read from them: which
             fields a Go struct embeds with `json:",inline"` (their protobuf message is nested while their JSON is
             flattened) and which scalar fields are non-pointers tagged `omitempty` (their zero value is left out of
             JSON, so a zero decoded from protobuf must be left out too).

The kinds to describe are read from Sources/SkiffModel/Resources/*.swift (every `type(...)` row of BuiltinResources
and every `gvk(...)`/`GroupVersionKind(group:version:kind:)` subresource kind), plus their List kinds and the meta kinds every group
version document references. Upstream descriptions are not copied: every description is left empty.
"""

import argparse
import glob
import json
import os
import re
import sys
from collections import OrderedDict

# OpenAPI names whose values get a dedicated FieldType instead of a TypeSchema.
SPECIAL = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": ".quantity",
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": ".intOrString",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": ".time",
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": ".microTime",
    "io.k8s.apimachinery.pkg.runtime.RawExtension": ".any",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1": ".any",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": ".any",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": ".any",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray": ".any",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool": ".any",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": ".any",
}
# `.any` types whose protobuf message is {1: bytes raw JSON}; the others (JSONSchemaPropsOr*) have shapes of their
# own that no client sends as protobuf, so their fields get no protobuf number.
RAW_JSON_MESSAGES = {
    "io.k8s.apimachinery.pkg.runtime.RawExtension",
    "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
}

# Kinds that kubectl 1.32 sends as protobuf although skiff does not store them (`auth can-i`, `auth whoami`,
# `autoscale`): with a schema, the API server can decode them once it serves the endpoints.
EXTRA_KINDS = [
    ("authorization.k8s.io", "v1", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "v1", "SelfSubjectRulesReview"),
    ("authentication.k8s.io", "v1", "SelfSubjectReview"),
    ("autoscaling", "v1", "HorizontalPodAutoscaler"),
]

EXTRA_ROOTS = [
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
    "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList",
]


def fail(message):
    print("gen-schemas: " + message, file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------------------------------------- OpenAPI


def load_openapi(path):
    """Returns {name: schema} with refs rewritten to bare names (v2 definitions or merged v3 components)."""
    documents = []
    if os.path.isdir(path):
        for file in sorted(glob.glob(os.path.join(path, "*.json"))):
            with open(file) as handle:
                documents.append(json.load(handle))
    else:
        with open(path) as handle:
            documents.append(json.load(handle))
    definitions = {}
    for document in documents:
        found = document.get("definitions") or document.get("components", {}).get("schemas", {})
        for name, schema in found.items():
            definitions.setdefault(name, schema)
    if not definitions:
        fail("no definitions found in " + path)
    return definitions


def ref_name(schema):
    """The referenced type name of a property schema (`$ref`, or v3 `allOf: [{$ref}]`), or None."""
    if "$ref" in schema:
        return schema["$ref"].split("/")[-1]
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        return all_of[0]["$ref"].split("/")[-1]
    return None


def field_type(schema, context):
    """(swift FieldType expression, referenced object names) for an OpenAPI property schema."""
    name = ref_name(schema)
    if name is not None:
        if name in SPECIAL:
            return SPECIAL[name], []
        return '.object("%s")' % name, [name]
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string":
        if fmt == "byte":
            return ".bytes", []
        if fmt == "int-or-string":
            return ".intOrString", []
        if fmt == "date-time":
            return ".time", []
        return ".string", []
    if kind == "boolean":
        return ".boolean", []
    if kind == "integer":
        return (".int32" if fmt == "int32" else ".int64"), []
    if kind == "number":
        return ".double", []
    if kind == "array":
        element, refs = field_type(schema.get("items", {}), context)
        return ".array(%s)" % element, refs
    if kind == "object" or kind is None:
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict) and additional:
            element, refs = field_type(additional, context)
            return ".map(%s)" % element, refs
        return ".any", []
    fail("unhandled property shape in %s: %s" % (context, json.dumps(schema)[:200]))


# ----------------------------------------------------------------------------------------------------------- proto


PROTO_FIELD = re.compile(r"^\s*(optional|repeated|required)\s+([\w.]+)\s+(\w+)\s*=\s*(\d+)\s*;")
PROTO_MAP = re.compile(r"^\s*map<\s*([\w.]+)\s*,\s*([\w.]+)\s*>\s+(\w+)\s*=\s*(\d+)\s*;")


def load_proto(root):
    """Returns {fully.qualified.Message: {field name: (number, label, type)}}."""
    messages = {}
    for file in sorted(glob.glob(os.path.join(root, "**", "generated.proto"), recursive=True)):
        package = None
        current = None
        depth = 0
        with open(file) as handle:
            for line in handle:
                stripped = line.split("//")[0]
                if package is None:
                    match = re.match(r"^\s*package\s+([\w.]+)\s*;", stripped)
                    if match:
                        package = match.group(1)
                    continue
                match = re.match(r"^\s*message\s+(\w+)\s*\{", stripped)
                if match and depth == 0:
                    current = package + "." + match.group(1)
                    messages[current] = {}
                    depth = 1
                    continue
                if current is None:
                    continue
                match = PROTO_MAP.match(stripped)
                if match:
                    messages[current][match.group(3)] = (int(match.group(4)), "map", match.group(2).lstrip("."))
                else:
                    match = PROTO_FIELD.match(stripped)
                    if match:
                        label, typ, name, number = match.groups()
                        messages[current][name] = (int(number), label, typ.lstrip("."))
                depth += stripped.count("{") - stripped.count("}")
                if depth <= 0:
                    current = None
                    depth = 0
    return messages


def proto_message_name(openapi_name):
    """io.k8s.api.core.v1.Pod -> k8s.io.api.core.v1.Pod (proto packages use '_' where Go paths use '-')."""
    if not openapi_name.startswith("io.k8s."):
        return None
    return "k8s.io." + openapi_name[len("io.k8s."):].replace("-", "_")


# -------------------------------------------------------------------------------------------------------------- Go


GO_FIELD = re.compile(r'^\s*(\w+)\s+([*\[\]\w.]+)\s+`([^`]*)`')
GO_EMBEDDED = re.compile(r'^\s*()([*\w.]+)\s+`([^`]*)`')
GO_TAG = re.compile(r'(\w+):"([^"]*)"')


def load_go(root):
    """Returns {go package path: {struct: [field dicts]}} for the struct fields that carry a json tag."""
    packages = {}
    for file in sorted(glob.glob(os.path.join(root, "**", "types*.go"), recursive=True)):
        package = os.path.relpath(os.path.dirname(file), root)
        structs = packages.setdefault(package, {})
        current = None
        with open(file) as handle:
            for line in handle:
                code = line.split("//")[0] if "`" not in line else line
                match = re.match(r"^type\s+(\w+)\s+struct\s*\{", code)
                if match:
                    current = match.group(1)
                    structs[current] = []
                    continue
                if current is None:
                    continue
                if re.match(r"^\}", code):
                    current = None
                    continue
                match = GO_EMBEDDED.match(code) or GO_FIELD.match(code)
                if not match:
                    continue
                name, typ, tag = match.groups()
                tags = dict(GO_TAG.findall(tag))
                if "json" not in tags:
                    continue
                json_parts = tags["json"].split(",")
                if not name:  # embedded: `VolumeSource \`json:",inline" ...\``
                    name, typ = typ.split(".")[-1], typ
                structs[current].append({
                    "go": name,
                    "type": typ,
                    "json": json_parts[0],
                    "inline": "inline" in json_parts[1:],
                    "omitempty": "omitempty" in json_parts[1:],
                    "protobuf": tags.get("protobuf"),
                })
    return packages


def go_package(openapi_name):
    """io.k8s.api.core.v1.Pod -> (k8s.io/api/core/v1, Pod)."""
    parts = openapi_name.split(".")
    return "k8s.io/" + "/".join(parts[2:-1]), parts[-1]


# ---------------------------------------------------------------------------------------------------------- kinds


def served_kinds(resources_dir):
    text = ""
    for file in sorted(glob.glob(os.path.join(resources_dir, "*.swift"))):
        with open(file) as handle:
            text += handle.read()
    kinds = []
    for group, version, kind in re.findall(r'\btype\(\s*"([^"]*)",\s*"([^"]*)",\s*"([^"]*)"', text):
        kinds.append((group, version, kind, True))
    for group, version, kind in re.findall(r'\bgvk\(\s*"([^"]*)",\s*"([^"]*)",\s*"([^"]*)"\s*\)', text):
        kinds.append((group, version, kind, False))
    for group, version, kind in re.findall(
            r'GroupVersionKind\(group:\s*"([^"]*)",\s*version:\s*"([^"]*)",\s*kind:\s*"([^"]*)"\)', text):
        kinds.append((group, version, kind, False))
    return kinds


def swift_string(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    parser = argparse.ArgumentParser()
    parser.add_argument("--openapi", required=True)
    parser.add_argument("--proto", required=True)
    parser.add_argument("--go", required=True)
    parser.add_argument("--resources", default=os.path.join(repo, "Sources/SkiffModel/Resources"))
    parser.add_argument("--out", default=os.path.join(repo, "Sources/SkiffModel/Schema"))
    parser.add_argument("--source-label", default="Kubernetes v1.32")
    args = parser.parse_args()

    definitions = load_openapi(args.openapi)
    proto = load_proto(args.proto)
    go = load_go(args.go)

    by_gvk = {}
    for name, schema in definitions.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            by_gvk.setdefault((gvk["group"], gvk["version"], gvk["kind"]), name)

    roots = []
    for group, version, kind, has_list in served_kinds(args.resources):
        name = by_gvk.get((group, version, kind))
        if name is None:
            fail("no OpenAPI definition for %s/%s %s" % (group, version, kind))
        roots.append(name)
        if has_list:
            list_name = by_gvk.get((group, version, kind + "List"))
            if list_name is None:
                fail("no list definition for %s" % kind)
            roots.append(list_name)
    for gvk in EXTRA_KINDS:
        if gvk not in by_gvk:
            fail("no OpenAPI definition for %s/%s %s" % gvk)
        roots.append(by_gvk[gvk])
    roots += EXTRA_ROOTS

    # Walk every type reachable from the roots.
    order = []
    seen = set()
    pending = list(roots)
    while pending:
        name = pending.pop(0)
        if name in seen or name in SPECIAL:
            continue
        if name not in definitions:
            fail("missing definition " + name)
        seen.add(name)
        order.append(name)
        for prop_name, prop in definitions[name].get("properties", {}).items():
            _, refs = field_type(prop, name + "." + prop_name)
            pending.extend(refs)

    problems = []
    types = OrderedDict()
    synthetic = OrderedDict()  # protobuf-only messages of inlined Go structs
    for name in order:
        schema = definitions[name]
        message_name = proto_message_name(name)
        message = proto.get(message_name) if message_name else None
        package, struct = go_package(name)
        go_fields = go.get(package, {}).get(struct)
        if message is None:
            problems.append("no protobuf message for " + name)
        if go_fields is None:
            problems.append("no Go struct for " + name)
            go_fields = []
        by_json = {field["json"]: field for field in go_fields if field["json"]}
        inlines = [field for field in go_fields if field["inline"] and field["protobuf"]]

        # JSON field -> (inline message OpenAPI-ish name, proto number within it)
        inline_owner = {}
        embedded = []
        for inline in inlines:
            number_match = re.match(r"\w+,(\d+),", inline["protobuf"])
            if not number_match:
                fail("bad protobuf tag " + inline["protobuf"])
            number = int(number_match.group(1))
            inner_go = inline["type"].lstrip("*")
            inner_struct = inner_go.split(".")[-1]
            inner_openapi = ".".join(name.split(".")[:-1] + [inner_struct])
            inner_message = proto.get(proto_message_name(inner_openapi))
            if inner_message is None:
                fail("no protobuf message for inlined %s in %s" % (inner_struct, name))
            if proto_message_name(name) and message is not None:
                wire = [n for n, (num, _, _) in message.items() if num == number]
                if not wire:
                    problems.append("inlined field %d of %s not in proto" % (number, name))
            embedded.append((number, inner_openapi))
            for json_name in inner_message:
                inline_owner[json_name] = (inner_openapi, inner_message[json_name][0])
            if inner_openapi not in definitions:
                synthetic.setdefault(inner_openapi, [])

        fields = []
        for prop_name, prop in schema.get("properties", {}).items():
            typ, _ = field_type(prop, name + "." + prop_name)
            number = None
            if prop_name in inline_owner:
                owner, inner_number = inline_owner[prop_name]
                if owner in synthetic:
                    synthetic[owner].append((prop_name, typ, inner_number, prop))
            elif message is not None:
                entry = message.get(prop_name)
                go_tag = (by_json.get(prop_name) or {}).get("protobuf") or ""
                tag_name = re.search(r"name=(\w+)", go_tag)
                if entry is None and tag_name:
                    # go-to-protobuf renames a few fields (`apiGroup` is `aPIGroup`, `$ref` is `ref`).
                    entry = message.get(tag_name.group(1))
                if entry is None:
                    if prop_name not in ("apiVersion", "kind"):
                        problems.append("%s.%s has no protobuf field" % (name, prop_name))
                else:
                    number = entry[0]
            target = ref_name(prop) or ref_name(prop.get("items", {}) or {}) or ref_name(
                prop.get("additionalProperties", {}) if isinstance(prop.get("additionalProperties"), dict) else {})
            if target in SPECIAL and SPECIAL[target] == ".any" and target not in RAW_JSON_MESSAGES:
                number = None
            go_field = by_json.get(prop_name)
            omits_zero = False
            if go_field is not None:
                go_type = go_field["type"]
                scalar = typ in (".string", ".boolean", ".int32", ".int64", ".double")
                omits_zero = scalar and go_field["omitempty"] and not go_type.startswith("*")
                tag = go_field["protobuf"]
                if tag and number is not None:
                    tag_number = int(tag.split(",")[1])
                    if tag_number != number:
                        problems.append("%s.%s: proto %d but Go tag %d" % (name, prop_name, number, tag_number))
            elif prop_name not in inline_owner and prop_name not in ("apiVersion", "kind"):
                problems.append("%s.%s has no Go field" % (name, prop_name))
            fields.append((prop_name, typ, number, prop, omits_zero))
        types[name] = (schema, fields, embedded)

    # Inlined messages that OpenAPI does not know get a TypeSchema of their own (protobuf only).
    for name, entries in synthetic.items():
        fields = []
        seen_fields = set()
        for prop_name, typ, number, prop in entries:
            if prop_name in seen_fields:
                continue
            seen_fields.add(prop_name)
            package, struct = go_package(name)
            go_fields = {f["json"]: f for f in go.get(package, {}).get(struct, [])}
            go_field = go_fields.get(prop_name)
            scalar = typ in (".string", ".boolean", ".int32", ".int64", ".double")
            omits_zero = bool(go_field and scalar and go_field["omitempty"] and not go_field["type"].startswith("*"))
            fields.append((prop_name, typ, number, prop, omits_zero))
        types[name] = ({}, fields, [])

    for problem in problems:
        print("note: " + problem, file=sys.stderr)

    write_swift(args.out, types, synthetic, args.source_label)
    field_count = sum(len(fields) for _, fields, _ in types.values())
    print("gen-schemas: %d types (%d protobuf-only), %d fields" % (len(types), len(synthetic), field_count))


# ----------------------------------------------------------------------------------------------------------- Swift


def group_key(name):
    """Splits the table into one function per API package so each stays quick to type-check."""
    parts = name.split(".")
    if name.startswith("io.k8s.api."):
        return parts[3] + parts[4].capitalize()
    if name.startswith("io.k8s.apimachinery."):
        return "meta"
    if "apiextensions" in name:
        return "apiextensions"
    if "apiregistration" in name:
        return "apiregistration"
    return "other"


def swift_identifier(key):
    return re.sub(r"[^A-Za-z0-9]", "", key)


def render_field(prop_name, typ, number, prop, omits_zero):
    arguments = [swift_string(prop_name), typ]
    if number is not None:
        arguments.append("protobuf: %d" % number)
    if "x-kubernetes-patch-merge-key" in prop:
        arguments.append("patchMergeKey: " + swift_string(prop["x-kubernetes-patch-merge-key"]))
    if "x-kubernetes-patch-strategy" in prop:
        arguments.append("patchStrategy: " + swift_string(prop["x-kubernetes-patch-strategy"]))
    if "x-kubernetes-list-type" in prop:
        arguments.append("listType: " + swift_string(prop["x-kubernetes-list-type"]))
    if prop.get("x-kubernetes-list-map-keys"):
        keys = ", ".join(swift_string(key) for key in prop["x-kubernetes-list-map-keys"])
        arguments.append("listMapKeys: [%s]" % keys)
    if "x-kubernetes-map-type" in prop:
        arguments.append("mapType: " + swift_string(prop["x-kubernetes-map-type"]))
    if omits_zero:
        arguments.append("omitsZeroValue: true")
    return "FieldSchema(%s)" % ", ".join(arguments)


def write_swift(out, types, synthetic, source_label):
    groups = OrderedDict()
    for name in sorted(types):
        groups.setdefault(group_key(name), []).append(name)

    for stale in glob.glob(os.path.join(out, "BuiltinSchemas+*.swift")):
        os.remove(stale)

    header = (
        "// Generated by tools/gen-schemas.py from the %s OpenAPI definitions and generated.proto files.\n"
        "// Do not edit by hand: change the generator and run it again.\n\n" % source_label)

    functions = []
    for key, names in groups.items():
        function = swift_identifier(key) + "Types"
        functions.append(function)
        lines = [header, "extension BuiltinSchemas {\n"]
        # With optimization on, SIL passes take minutes over thousands of straight-line initializer calls (7 min for
        # the whole table at -O, 3 s at -Onone); the table is built once at startup in about a millisecond anyway.
        lines.append("    // Not optimized: -O spends minutes on this straight-line table; building it unoptimized takes ~1 ms.\n")
        lines.append("    @_optimize(none)\n")
        lines.append("    static func %s() -> [TypeSchema] {\n" % function)
        lines.append("        var types: [TypeSchema] = []\n")
        lines.append("        types.reserveCapacity(%d)\n" % len(names))
        for name in names:
            schema, fields, embedded = types[name]
            lines.append("        types.append(\n")
            lines.append("            TypeSchema(\n")
            lines.append("                name: %s,\n" % swift_string(name))
            if fields:
                lines.append("                fields: [\n")
                for field in fields:
                    lines.append("                    %s,\n" % render_field(*field))
                lines.append("                ],\n")
            else:
                lines.append("                fields: [],\n")
            required = schema.get("required", [])
            if required:
                lines.append("                required: [%s],\n" % ", ".join(swift_string(r) for r in required))
            gvks = schema.get("x-kubernetes-group-version-kind", [])
            if gvks:
                gvk = gvks[0]
                lines.append(
                    "                groupVersionKind: GroupVersionKind(group: %s, version: %s, kind: %s),\n"
                    % (swift_string(gvk["group"]), swift_string(gvk["version"]), swift_string(gvk["kind"])))
            if "x-kubernetes-map-type" in schema:
                lines.append("                mapType: %s,\n" % swift_string(schema["x-kubernetes-map-type"]))
            if embedded:
                items = ", ".join(
                    "ProtobufEmbedding(number: %d, type: %s)" % (number, swift_string(inner))
                    for number, inner in embedded)
                lines.append("                protobufEmbedded: [%s],\n" % items)
            if name in synthetic:
                lines.append("                isProtobufOnly: true,\n")
            lines[-1] = lines[-1].rstrip(",\n") + "\n"
            lines.append("            ))\n")
        lines.append("        return types\n")
        lines.append("    }\n")
        lines.append("}\n")
        with open(os.path.join(out, "BuiltinSchemas+%s.swift" % swift_identifier(key)), "w") as handle:
            handle.write("".join(lines))

    with open(os.path.join(out, "BuiltinSchemas.swift"), "w") as handle:
        handle.write(header)
        handle.write("/// The schema table of every built-in kind skiff serves and every type reachable from them.\n")
        handle.write("public enum BuiltinSchemas {\n")
        handle.write("    /// All built-in type schemas.\n")
        handle.write("    public static let registry = SchemaRegistry(allTypes())\n\n")
        handle.write("    /// Every generated type schema, grouped by API package.\n")
        handle.write("    public static func allTypes() -> [TypeSchema] {\n")
        handle.write("        var types: [TypeSchema] = []\n")
        for function in functions:
            handle.write("        types += %s()\n" % function)
        handle.write("        return types\n")
        handle.write("    }\n")
        handle.write("}\n")


if __name__ == "__main__":
    main()
