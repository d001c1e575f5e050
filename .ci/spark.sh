#!/usr/bin/env bash
# Start a throwaway standalone Spark cluster on localhost (a master and two workers);
# print the export lines for its master URL and the Python the executors run.
#
#   eval "$(bash .ci/spark.sh start DIR [PYTHON])"   # exports ONE2ONE_TEST_SPARK_MASTER
#   bash .ci/spark.sh stop DIR
#
# The cluster is pyspark's own (bin/spark-class of the installed pyspark, found with
# PYTHON, default python3): no separate Spark download. The executors run PYTHON
# (PYSPARK_PYTHON), so they import the same one2one as the tests. Java 17 or newer is
# required: the Debian package openjdk-17-jre-headless is installed when java is
# missing. DIR (created if needed) holds the daemons' pids, logs and scratch space.
set -euo pipefail
action="${1:?usage: spark.sh start|stop DIR [PYTHON]}"
dir="${2:?usage: spark.sh start|stop DIR [PYTHON]}"
python="${3:-python3}"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for() { # wait_for FILE PATTERN SECONDS
  local i
  for i in $(seq 1 "$(($3 * 4))"); do
    if grep -q "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.25
  done
  echo "spark.sh: gave up waiting for '$2' in $1:" >&2
  tail -n 40 "$1" >&2 || true
  return 1
}

case "$action" in
start)
  if ! command -v java >/dev/null 2>&1; then
    echo "spark.sh: installing the Debian package openjdk-17-jre-headless" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless) >&2
  fi
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  python="$(command -v "$python")"
  python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" # absolute, not resolved
  spark_home="$("$python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
  export SPARK_HOME="$spark_home" PYSPARK_PYTHON="$python" SPARK_LOCAL_IP=127.0.0.1
  export SPARK_LOCAL_DIRS="$dir/scratch" SPARK_WORKER_DIR="$dir/work"
  mkdir -p "$SPARK_LOCAL_DIRS" "$SPARK_WORKER_DIR"
  port="$(free_port)"
  master="spark://127.0.0.1:$port"
  nohup "$spark_home/bin/spark-class" org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$port" --webui-port "$(free_port)" >"$dir/master.log" 2>&1 &
  echo $! >"$dir/master.pid"
  wait_for "$dir/master.log" "I have been elected leader" 90 >&2
  for n in 1 2; do
    nohup "$spark_home/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --host 127.0.0.1 --cores 1 --memory 2g --webui-port "$(free_port)" \
      --work-dir "$dir/work" "$master" >"$dir/worker$n.log" 2>&1 &
    echo $! >"$dir/worker$n.pid"
  done
  for n in 1 2; do wait_for "$dir/worker$n.log" "Successfully registered with master" 90 >&2; done
  echo "export ONE2ONE_TEST_SPARK_MASTER=$master"
  echo "export PYSPARK_PYTHON=$python"
  ;;
stop)
  for pidfile in "$dir"/worker*.pid "$dir"/master.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    # spark-class execs java; stop it and any executor it started.
    pkill -TERM -P "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 1
  for pidfile in "$dir"/worker*.pid "$dir"/master.pid; do
    [ -f "$pidfile" ] || continue
    kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$dir"
  ;;
*)
  echo "usage: spark.sh start|stop DIR [PYTHON]" >&2
  exit 2
  ;;
esac
