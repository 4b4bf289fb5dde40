# Helpers of the cmf-server suites (sourced after lib.sh): our server with its HTTP listener, a project prepared the
# way cmflib needs it (`cmf init local` in a fresh directory: git with the cmf_origin remote, DVC with a local
# remote, the cmf-server URL in .cmfconfig), and pass/fail counting.

CHECK_PASSED=0
CHECK_FAILED=0
pass() { CHECK_PASSED=$((CHECK_PASSED + 1)); echo "ok - $*"; }
fail() { CHECK_FAILED=$((CHECK_FAILED + 1)); echo "not ok - $*"; }
# expect DESCRIPTION CMD...: one check from a command's exit status (its output is shown on failure).
expect() {
  local what="$1" out; shift
  if out="$("$@" 2>&1)"; then pass "$what"; else fail "$what"; echo "$out" | tail -n 30 | sed 's/^/    /'; fi
}
# expect_output DESCRIPTION REGEX CMD...: the command succeeds and prints a line matching REGEX.
expect_output() {
  local what="$1" re="$2" out; shift 2
  if out="$("$@" 2>&1)" && grep -Eq "$re" <<<"$out"; then pass "$what"
  else fail "$what"; echo "$out" | tail -n 30 | sed 's/^/    /'; fi
}
# python_checks DESCRIPTION CMD...: a cmf_server_check.py run; its own counts are added to ours.
python_checks() {
  local what="$1" out p f; shift
  out="$("$@" 2>&1)"
  echo "$out" | grep -E '^(not ok|ok) ' | sed "s/^/[$what] /" | grep -v '^\[.*\] ok ' || true
  read -r p f < <(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1 | sed -E 's/([0-9]+) passed, ([0-9]+) failed/\1 \2/')
  if [[ -z "${p:-}" ]]; then fail "$what (no result)"; echo "$out" | tail -n 30 | sed 's/^/    /'; return; fi
  CHECK_PASSED=$((CHECK_PASSED + p)); CHECK_FAILED=$((CHECK_FAILED + f))
  echo "$what: $p passed, $f failed"
  [[ $f -eq 0 ]] || echo "$out" | grep -A3 '^not ok' | head -n 60 | sed 's/^/    /'
}
finish_checks() { echo "$CHECK_PASSED passed, $CHECK_FAILED failed"; [[ $CHECK_FAILED -eq 0 ]]; }

# start_cmf_server NAME DB_FILE HOST [FLAGS...] -> sets <NAME>_PID, <NAME>_GRPC, <NAME>_HTTP ("host:port");
# the server's log is $TMP/NAME.log and its data directory $TMP/NAME-data. The HTTP port is read from its
# start-up line (--http_port=0 picks a free one).
start_cmf_server() {
  local name="$1" db="$2" host="$3" port i line; shift 3
  port="$(free_port)"
  (cd "$COMPAT_ROOT" && exec node --import tsx src/cli/main.ts --grpc_port="$port" --http_port=0 --host="$host" \
    --db="$db" --cmf_data_dir="$TMP/$name-data" "$@") >"$TMP/$name.log" 2>&1 &
  printf -v "${name}_PID" '%s' "$!"
  for ((i = 0; i < 600; i++)); do
    line="$(grep -Eo 'HTTP on [^ ]+:[0-9]+' "$TMP/$name.log" | head -n 1 || true)"
    if [[ -n "$line" ]]; then
      printf -v "${name}_GRPC" '%s' "$host:$port"
      printf -v "${name}_HTTP" '%s' "$host:${line##*:}"
      return 0
    fi
    kill -0 "$(eval echo "\$${name}_PID")" 2>/dev/null || { echo "our server exited:"; tail -n 30 "$TMP/$name.log"; return 1; }
    sleep 0.1
  done
  echo "our server did not start within 60 s:"; tail -n 30 "$TMP/$name.log"; return 1
}

# stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL.
stop_pid() {
  local pid="$1" i
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# make_project DIR SERVER_URL: the data files of cmf_server_pipeline.py, then `cmf init local` (a new git repo with
# the cmf_origin remote, DVC with a local remote) pointing at SERVER_URL. Data files stay out of git (DVC tracks them).
make_project() {
  local d="$1" url="$2"
  mkdir -p "$d/data/raw/a" "$d/data/raw/b" "$d/model"
  printf '<a>1</a>\n' > "$d/data/raw/a/1.xml"
  printf '<b>2</b>\n' > "$d/data/raw/b/2.xml"
  printf 'x,y\n1,2\n' > "$d/data/train.csv"
  printf 'x,y\n3,4\n' > "$d/data/test.csv"
  printf 'id,label\n1,0\n2,1\n' > "$d/data/labels.csv"
  printf 'pickled model bytes\n' > "$d/model/rf.pkl"
  (cd "$d" && cmf init local --path "$TMP/dvc-remote" --git-remote-url https://example.com/cmf-server-suite.git \
    --cmf-server-url "$url") > "$d.init.log" 2>&1 || { tail -n 20 "$d.init.log"; return 1; }
}

# empty_project DIR SERVER_URL: a fresh checkout to pull into (cmf init only).
empty_project() {
  mkdir -p "$1"
  (cd "$1" && cmf init local --path "$TMP/dvc-remote" --git-remote-url https://example.com/cmf-server-suite.git \
    --cmf-server-url "$2") > "$1.init.log" 2>&1 || { tail -n 20 "$1.init.log"; return 1; }
}

# cmf_env: the environment the cmf CLI and cmflib need (the venv first on PATH, git identity, no DVC analytics).
cmf_env() {
  export PATH="$(dirname "$VENV_PY"):$PATH" DVC_NO_ANALYTICS=1 GIT_AUTHOR_NAME=cmf-suite \
    GIT_AUTHOR_EMAIL=cmf-suite@example.com GIT_COMMITTER_NAME=cmf-suite GIT_COMMITTER_EMAIL=cmf-suite@example.com
  unset CONDA_PREFIX CONFIG_FILE
}

require_cmf_cli() {
  [[ -x "$VENV_PY" ]] || compat_skip ".venv missing (run scripts/setup-test-env.sh)"
  [[ -x "$(dirname "$VENV_PY")/cmf" ]] || compat_skip "the cmf CLI is missing from .venv (run scripts/setup-test-env.sh)"
  command -v git >/dev/null || compat_skip "git is not installed"
}
