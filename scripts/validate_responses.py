#!/usr/bin/python3
"""Judges recorded HTTP answers against docs/openapi.yaml.

Usage: validate_responses.py OPENAPI.yaml RESPONSES.jsonl

Each line of RESPONSES.jsonl is {method, route, status, headers, body} as a client received it
(route is the documented path template), or {method, path, ...} with the concrete path, which is
matched to the document's templates here (literal segments before parameters). For each answer the document must describe that
status for that operation (or a `default`), every header it lists as required must be present,
the Content-Type must be one the document names, and a JSON body must validate against the
schema (python3-jsonschema, Draft 2020-12 as OpenAPI 3.1 specifies, with the document's
$refs resolved inside the document). Exits 0 when every answer matches; otherwise prints one
finding per line and exits 1.
"""
import json
import re
import sys

import jsonschema
import yaml


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        document = yaml.safe_load(f)
    findings = []
    answers = 0
    with open(sys.argv[2], encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            answers += 1
            answer = json.loads(line)
            for finding in judge(document, answer):
                findings.append(f"{number}: {answer['method']} {answer['route']} "
                                f"{answer['status']}: {finding}")
    for finding in findings:
        print(finding)
    print(f"{answers} answers judged, {len(findings)} findings")
    return 1 if findings or answers == 0 else 0


def lookup(document, reference):
    if not reference.startswith("#/"):
        raise ValueError(f"only local references are used here: {reference}")
    node = document
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def follow(document, node):
    while isinstance(node, dict) and "$ref" in node:
        node = lookup(document, node["$ref"])
    return node


def template_of(document, path):
    """The document's path template a concrete path matches, most literal segments first."""
    path = path.split("?")[0]
    templates = sorted(document["paths"], key=lambda t: t.count("{"))
    for template in templates:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    return path


def judge(document, answer):
    if "route" not in answer:
        answer["route"] = template_of(document, answer["path"])
    path = document["paths"].get(answer["route"])
    if path is None:
        return ["the route is not in the document"]
    operation = path.get(answer["method"].lower())
    if operation is None:
        return ["the method is not in the document"]
    responses = operation.get("responses", {})
    status = str(answer["status"])
    response = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
    if response is None:
        return [f"status {status} is not documented (documented: {', '.join(responses)})"]
    response = follow(document, response)
    findings = []
    headers = answer["headers"]
    for name, header in response.get("headers", {}).items():
        header = follow(document, header)
        if header.get("required") and name.lower() not in headers:
            findings.append(f"the promised header {name} is missing")
    content = response.get("content")
    received_type = headers.get("content-type", "").split(";")[0].strip()
    if not content:
        if answer["body"] and status not in ("302", "304"):
            findings.append(f"a body of type {received_type!r} where the document promises none")
        return findings
    if received_type not in content:
        return findings + [f"Content-Type {received_type!r} is not one of {', '.join(content)}"]
    schema = content[received_type].get("schema")
    if schema is None:
        return findings + [f"no schema for {received_type}"]
    # application/json and the +json types are one JSON document; application/x-ndjson is
    # lines of them, judged as text.
    if received_type == "application/json" or received_type.endswith("+json"):
        try:
            body = json.loads(answer["body"])
        except ValueError as error:
            return findings + [f"the body is not JSON: {error}"]
    else:
        body = answer["body"]
    # The schema is validated inside the whole document so that its $refs resolve.
    wrapped = {"$schema": "https://json-schema.org/draft/2020-12/schema",
               "$ref": "#/x-answer", "x-answer": schema,
               "components": document.get("components", {})}
    validator = jsonschema.Draft202012Validator(wrapped, format_checker=jsonschema.FormatChecker())
    for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        findings.append(f"{where}: {error.message[:300]}")
    return findings


if __name__ == "__main__":
    sys.exit(main())
