#!/bin/sh
# grn: the worker bundle's launcher (scripts/bundle/launcher.sh in the project). Runs the bundled
# Node on the bundled CLI, so the machine needs no Node, npm or internet. Plain POSIX sh and shell
# built-ins only (readlink only when started through a symlink): it must run on a bare node.
set -e

# The bundle's folder, also when started through a symlink (e.g. /usr/local/bin/grn).
self=$0
while [ -h "$self" ]; do
  target=$(readlink "$self")
  case $target in
    /*) self=$target ;;
    *) self=${self%/*}/$target ;;
  esac
done
case $self in
  */*) here=${self%/*} ;;
  *) here=. ;;
esac
here=$(cd "$here" && pwd -P)

# The bundled nats-server, for `grn sweep run` without --server (the embedded server), unless the
# user chose one.
if [ -z "${GRN_NATS_SERVER:-}" ] && [ -x "$here/bin/nats-server" ]; then
  GRN_NATS_SERVER=$here/bin/nats-server
  export GRN_NATS_SERVER
fi

# TensorFlow's native backend (@tensorflow/tfjs-node with libtensorflow, hundreds of MB) is not in
# the bundle. Where a node has it, point GRN_TENSORFLOW_MODULES at the node_modules folder that
# holds it, or put that folder at tensorflow/node_modules here: it goes on NODE_PATH, where the
# backend looks for the package (worker/engine/backends/tensorflow.ts). Trainers inherit it.
tensorflow=${GRN_TENSORFLOW_MODULES:-$here/tensorflow/node_modules}
if [ -n "${GRN_TENSORFLOW_MODULES:-}" ] && [ ! -d "$tensorflow" ]; then
  echo "grn: GRN_TENSORFLOW_MODULES=$GRN_TENSORFLOW_MODULES is not a folder (it should be a node_modules folder holding @tensorflow/tfjs-node)" >&2
  exit 2
fi
if [ -d "$tensorflow" ]; then
  NODE_PATH=$tensorflow${NODE_PATH:+:$NODE_PATH}
  export NODE_PATH
fi

exec "$here/bin/node" "$here/lib/grn.js" "$@"
