"""What the rendered manifests must say, beyond being valid Kubernetes objects (kubernetes-validate checks that).

  check.py chart DIR       DIR holds `helm template` outputs named after test/deploy/values/*.yaml
  check.py kubeflow FILE   FILE is `kustomize build` of KFP 2.17.0's metadata manifests with deploy/kubeflow/cmf-mlmd
  check.py initenv FILE    prints the chart's init-container environment (literal values) as shell assignments

Prints one line per check and "N passed, M failed"; exit status 1 when a check failed.
"""
import shlex
import sys

import yaml

PASSED = 0
FAILED = 0


def expect(what, cond):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        print(f"ok: {what}")
    else:
        FAILED += 1
        print(f"FAILED: {what}")


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def find(docs, kind, name=None):
    return [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def container(workload, name):
    return next(c for c in workload["spec"]["template"]["spec"]["containers"] if c["name"] == name)


def env_value(c, name):
    return next((e for e in c.get("env", []) if e["name"] == name), None)


def check_chart(out):
    # SQLite: one replica of a StatefulSet whose claim holds /data; both services; probes; metrics on.
    docs = load(f"{out}/sqlite.yaml")
    [sts] = find(docs, "StatefulSet")
    c = container(sts, "cmf-mlmd")
    expect("sqlite: a StatefulSet with 1 replica", sts["spec"]["replicas"] == 1 and not find(docs, "Deployment"))
    expect(
        "sqlite: /data on a ReadWriteOnce claim of 10Gi",
        sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "10Gi"
        and {"name": "data", "mountPath": "/data"} in c["volumeMounts"],
    )
    init = sts["spec"]["template"]["spec"]["initContainers"][0]
    expect("sqlite: the config file names /data/mlmd.db", env_value(init, "MLMD_SQLITE_PATH")["value"] == "/data/mlmd.db")
    expect(
        "sqlite: the server reads the generated config file",
        "--metadata_store_server_config_file=/config/server.pbtxt" in c["args"],
    )
    expect("sqlite: gRPC readiness probe (grpc.health.v1)", c["readinessProbe"].get("grpc") == {"port": 8080})
    expect("sqlite: /healthz liveness probe", c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"})
    expect("sqlite: metrics port served", "--metrics_port=9464" in c["args"])
    expect("sqlite: resource requests", c["resources"]["requests"] == {"cpu": "100m", "memory": "256Mi"})
    services = {s["metadata"]["name"]: s for s in find(docs, "Service")}
    grpc = services["release-cmf-mlmd"]["spec"]["ports"]
    http = services["release-cmf-mlmd-http"]["spec"]["ports"]
    expect("sqlite: the gRPC service", [(p["name"], p["port"]) for p in grpc] == [("grpc", 8080)])
    expect("sqlite: the HTTP service with metrics", [(p["name"], p["port"]) for p in http] == [("http", 8081), ("metrics", 9464)])
    expect("sqlite: no ServiceMonitor unless asked", not find(docs, "ServiceMonitor"))
    expect("sqlite: non-root pod", sts["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True)

    # PostgreSQL: several stateless replicas, the password from a secret, a ServiceMonitor.
    docs = load(f"{out}/postgresql.yaml")
    [dep] = find(docs, "Deployment")
    init = dep["spec"]["template"]["spec"]["initContainers"][0]
    expect("postgresql: a Deployment of 3 replicas", dep["spec"]["replicas"] == 3 and not find(docs, "StatefulSet"))
    expect(
        "postgresql: the password from the secret",
        env_value(init, "MLMD_DB_PASSWORD")["valueFrom"]["secretKeyRef"] == {"name": "mlmd-db", "key": "password"},
    )
    expect("postgresql: port 5432 by default", env_value(init, "MLMD_DB_PORT")["value"] == "5432")
    expect("postgresql: sslmode passed", env_value(init, "MLMD_PG_SSLMODE")["value"] == "verify-full")
    [sm] = find(docs, "ServiceMonitor")
    expect(
        "postgresql: the ServiceMonitor scrapes the metrics port of the HTTP service",
        sm["spec"]["endpoints"][0]["port"] == "metrics"
        and sm["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "http"
        and sm["metadata"]["labels"]["release"] == "prometheus",
    )

    # MySQL with mTLS: the key pair and CA from the secret, probes that need no client certificate.
    docs = load(f"{out}/mysql-mtls.yaml")
    [dep] = find(docs, "Deployment")
    spec = dep["spec"]["template"]["spec"]
    c = container(dep, "cmf-mlmd")
    init = spec["initContainers"][0]
    expect("mysql: port 3306 by default", env_value(init, "MLMD_DB_PORT")["value"] == "3306")
    expect(
        "mtls: the TLS secret mounted for the config file, client certificates required",
        {"name": "tls", "secret": {"secretName": "mlmd-tls"}} in spec["volumes"]
        and env_value(init, "MLMD_TLS_CLIENT_VERIFY")["value"] == "true",
    )
    expect("mtls: TCP probes (the kubelet has no client certificate)", "tcpSocket" in c["readinessProbe"])
    expect("mysql: no metrics port when metrics are off", not any(a.startswith("--metrics_port") for a in c["args"]))
    expect("mysql: extra arguments appended", c["args"][-1] == "--access_log")

    docs = load(f"{out}/sqlite-tls.yaml")
    c = container(find(docs, "StatefulSet")[0], "cmf-mlmd")
    expect("tls: HTTPS /healthz probes", c["readinessProbe"]["httpGet"]["scheme"] == "HTTPS")


def check_kubeflow(path):
    docs = load(path)
    [dep] = find(docs, "Deployment", "metadata-grpc-deployment")
    c = container(dep, "container")
    expect("kubeflow: our image", c["image"] == "registry.example.com/cmf-mlmd:0.1.0")
    expect("kubeflow: our command", c["command"] == ["node", "/app/dist/src/cli/main.js"])
    expect(
        "kubeflow: KFP's arguments kept",
        c["args"][:3] == ["--grpc_port=8080", "--mysql_config_database=$(MYSQL_DATABASE)", "--mysql_config_host=$(MYSQL_HOST)"]
        and "--enable_database_upgrade=true" in c["args"],
    )
    expect(
        "kubeflow: KFP's environment kept",
        [e["name"] for e in c["env"]] == ["DBCONFIG_USER", "DBCONFIG_PASSWORD", "MYSQL_DATABASE", "MYSQL_HOST", "MYSQL_PORT"],
    )
    expect(
        "kubeflow: gRPC and HTTP ports",
        sorted((p["name"], p["containerPort"]) for p in c["ports"]) == [("grpc-api", 8080), ("http", 8081)],
    )
    expect("kubeflow: KFP's probes kept", c["readinessProbe"]["tcpSocket"]["port"] == "grpc-api")
    expect(
        "kubeflow: runs as our image's user, KFP's other restrictions kept",
        c["securityContext"]["runAsUser"] == 10001 and c["securityContext"]["capabilities"]["drop"] == ["ALL"],
    )
    expect("kubeflow: the wait-for-database init container kept", dep["spec"]["template"]["spec"]["initContainers"][0]["name"] == "wait-for-database")
    [envoy_svc] = find(docs, "Service", "metadata-envoy-service")
    expect(
        "kubeflow: metadata-envoy-service now routes port 9090 to cmf-mlmd's HTTP port",
        envoy_svc["spec"]["selector"] == {"component": "metadata-grpc-server"}
        and [(p["port"], p["targetPort"]) for p in envoy_svc["spec"]["ports"]] == [(9090, 8081)],
    )
    expect(
        "kubeflow: the Envoy deployment and its config map are gone",
        not find(docs, "Deployment", "metadata-envoy-deployment") and not find(docs, "ConfigMap", "metadata-envoy-configmap"),
    )
    expect("kubeflow: everything in the kubeflow namespace", all(d["metadata"].get("namespace") == "kubeflow" for d in docs))


def init_env(path):
    [workload] = [d for d in load(path) if d["kind"] in ("StatefulSet", "Deployment")]
    for e in workload["spec"]["template"]["spec"]["initContainers"][0]["env"]:
        if "value" in e:
            print(f"{e['name']}={shlex.quote(e['value'])}")


if __name__ == "__main__":
    mode, arg = sys.argv[1], sys.argv[2]
    if mode == "initenv":
        init_env(arg)
        sys.exit(0)
    {"chart": check_chart, "kubeflow": check_kubeflow}[mode](arg)
    print(f"{PASSED} passed, {FAILED} failed")
    sys.exit(1 if FAILED else 0)
