#!/usr/bin/env bash
# Real-Nix test bed for the e2e tests: Debian's nix-bin, a multi-user nix-daemon started by hand (no
# service manager), an untrusted sudo-capable `runner` user and an offline nix.conf.
# The daemon runs through a small wrapper ($STATE_DIR/bin/nix-daemon, its argv[0]) that can be told to
# fail its next starts, for tests of a daemon restart that fails: `testbed.sh fail-next-starts N`.
# Usage (as root): testbed.sh up | down | status | restart-daemon | fail-next-starts N
set -euo pipefail

readonly STATE_DIR=/run/nix-testbed
readonly PID_FILE=$STATE_DIR/daemon.pid LOG_FILE=$STATE_DIR/daemon.log
readonly CONF_BACKUP=$STATE_DIR/nix.conf.orig CONF_ABSENT=$STATE_DIR/nix.conf.absent
readonly FOREIGN_NOTE=$STATE_DIR/foreign-daemons
readonly WRAPPER=$STATE_DIR/bin/nix-daemon FAIL_STARTS=$STATE_DIR/fail-starts
readonly CREATED_RUNNER=$STATE_DIR/created-runner ADDED_TO_GROUP=$STATE_DIR/added-runner-to-nix-users
readonly NIX_CONF=/etc/nix/nix.conf
readonly SOCKET_DIR=/nix/var/nix/daemon-socket
readonly SOCKET=$SOCKET_DIR/socket
readonly RUNNER=runner SUDOERS=/etc/sudoers.d/nix-testbed-runner
readonly BUILD_USERS=10 SOCKET_WAIT_S=20 STOP_WAIT_S=10
readonly CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
readonly CONFIG='# Written by the nix-cache-action test bed (__tests__/testbed/testbed.sh up).
# "testbed.sh down" puts the original file back.
build-users-group = nixbld
experimental-features = nix-command flakes
# Offline: no binary cache, no global flake registry (tests never reach cache.nixos.org).
substituters =
flake-registry =
sandbox = false
# Like a stock multi-user install: the runner user is not trusted.
trusted-users = root
max-jobs = auto
'

log() { printf 'testbed: %s\n' "$*" >&2; }
die() { log "error: $*" && exit 1; }
need_root() { [[ $EUID -eq 0 ]] || die "'$1' must run as root"; }

ensure_packages() {
  local missing=()
  command -v nix-daemon >/dev/null || missing+=(nix-bin)
  command -v git >/dev/null || missing+=(git)
  command -v visudo >/dev/null || missing+=(sudo)
  ((${#missing[@]} > 0)) || return 0
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
}

ensure_users() {
  getent group nixbld >/dev/null || groupadd --system nixbld
  getent group nix-users >/dev/null || groupadd --system nix-users
  local i
  for ((i = 1; i <= BUILD_USERS; i++)); do
    id "nixbld$i" >/dev/null 2>&1 ||
      useradd --system --no-user-group --gid nixbld --groups nixbld --home-dir /var/empty \
        --shell /usr/sbin/nologin --comment "Nix build user $i" "nixbld$i"
  done
  # What nix-setup-systemd's tmpfiles.d entry creates, and the state dir.
  mkdir -p "$STATE_DIR" /nix/var/nix/profiles/per-user /nix/var/nix/gcroots/per-user "$SOCKET_DIR"
  chmod 1777 /nix/var/nix/profiles/per-user /nix/var/nix/gcroots/per-user
  chown root:nix-users "$SOCKET_DIR" && chmod 0770 "$SOCKET_DIR"
  # A user named runner may exist already (GitHub's runners have one): down then keeps it.
  if ! id "$RUNNER" >/dev/null 2>&1; then
    log "creating user $RUNNER"
    useradd --create-home --home-dir "/home/$RUNNER" --shell /bin/bash --groups nix-users "$RUNNER"
    : >"$CREATED_RUNNER"
  elif [[ " $(id -nG "$RUNNER") " != *" nix-users "* ]]; then
    usermod --append --groups nix-users "$RUNNER" && : >"$ADDED_TO_GROUP"
  fi
  if [[ ! -f $SUDOERS ]]; then
    printf '%s ALL=(ALL:ALL) NOPASSWD: ALL\n' "$RUNNER" >"$SUDOERS.tmp"
    visudo -cqf "$SUDOERS.tmp" || die "visudo rejected the sudoers entry for $RUNNER"
    chmod 0440 "$SUDOERS.tmp" && mv -f "$SUDOERS.tmp" "$SUDOERS"
  fi
}

CONF_CHANGED=0
ensure_config() { # saves the original once, byte for byte; sets CONF_CHANGED=1 when it writes
  if [[ ! -e $CONF_BACKUP && ! -e $CONF_ABSENT ]]; then
    if [[ -e $NIX_CONF ]]; then cp -p "$NIX_CONF" "$CONF_BACKUP"; else : >"$CONF_ABSENT"; fi
  fi
  if [[ -f $NIX_CONF && $(<"$NIX_CONF") == "${CONFIG%$'\n'}" ]]; then return 0; fi
  mkdir -p "${NIX_CONF%/*}"
  printf '%s' "$CONFIG" >"$NIX_CONF.testbed-tmp"
  chmod 0644 "$NIX_CONF.testbed-tmp" && mv -f "$NIX_CONF.testbed-tmp" "$NIX_CONF"
  CONF_CHANGED=1
  log "wrote $NIX_CONF"
}

# The daemon's argv[0]: a start fails while $FAIL_STARTS counts down (one count per start); otherwise
# it records its pid (also when something else restarts it by its command line) and becomes nix-daemon,
# keeping its own path as argv[0] (so /proc/PID/cmdline names the wrapper, basename still nix-daemon).
ensure_wrapper() {
  local real text
  real=$(command -v nix-daemon) || die "nix-daemon is not installed"
  # shellcheck disable=SC2016 # the wrapper's own code: expanded when it runs
  text=$(printf '#!/bin/bash
# Written by testbed.sh, the nix-daemon of the test bed: "testbed.sh fail-next-starts N" makes starts fail.
set -u
exec 9>>%q && flock 9
n=$(cat %q 2>/dev/null || echo 0)
if [[ $n =~ ^[0-9]+$ ]] && ((n > 0)); then
  if ((n > 1)); then echo $((n - 1)) >%q; else rm -f %q; fi
  echo "testbed: failing this nix-daemon start on purpose ($((n - 1)) more to fail)" >&2
  exit 1
fi
exec 9>&-
echo $$ >%q
exec -a "$0" %q "$@"' "$FAIL_STARTS.lock" "$FAIL_STARTS" "$FAIL_STARTS" "$FAIL_STARTS" "$PID_FILE" "$real")
  if [[ -x $WRAPPER && $(<"$WRAPPER") == "$text" ]]; then return 0; fi
  mkdir -p "${WRAPPER%/*}"
  printf '%s\n' "$text" >"$WRAPPER.tmp" && chmod 0755 "$WRAPPER.tmp" && mv -f "$WRAPPER.tmp" "$WRAPPER"
}

set_fail_starts() { # count: the next starts through the wrapper that fail (0: none)
  (
    flock 9
    if (($1 == 0)); then rm -f "$FAIL_STARTS"; else printf '%s\n' "$1" >"$FAIL_STARTS"; fi
  ) 9>>"$FAIL_STARTS.lock"
}

cancel_fail_starts() { # what a test asked for and did not use must not fail a later start
  if [[ -s $FAIL_STARTS ]]; then log "cancelling the failing starts asked for ($(<"$FAIL_STARTS") left)"; fi
  set_fail_starts 0
}

# --- nix-daemon processes, found through /proc -----------------------------------------------------

is_nix_daemon() { # pid: a live `nix-daemon …` or `nix daemon …` process (zombies have no cmdline)
  local argv=() name
  mapfile -d '' -t argv 2>/dev/null <"/proc/$1/cmdline" || return 1
  name=${argv[0]:-} && name=${name##*/}
  [[ $name == nix-daemon || ($name == nix && ${argv[1]:-} == daemon) ]]
}

daemon_pids() {
  local dir
  for dir in /proc/[0-9]*; do if is_nix_daemon "${dir#/proc/}"; then echo "${dir#/proc/}"; fi; done
}

# Daemons holding a listening socket bound to $SOCKET (also one whose file was replaced since), as
# opposed to per-connection workers (`nix-daemon <client pid>`, forked by the listener, own session).
daemon_listeners() {
  local inodes pid fd target
  inodes=" $(awk -v p="$SOCKET" '$8 == p && $6 == "01" { printf "%s ", $7 }' /proc/net/unix) "
  for pid in $(daemon_pids); do
    for fd in /proc/"$pid"/fd/*; do
      target=$(readlink "$fd" 2>/dev/null) || continue
      if [[ $target == socket:* && $inodes == *" ${target//[^0-9]/} "* ]]; then echo "$pid" && break; fi
    done
  done
}

workers_of() { # listener pid
  local pid
  for pid in $(daemon_pids); do
    [[ $(awk '$1 == "PPid:" { print $2 }' "/proc/$pid/status" 2>/dev/null) != "$1" ]] || echo "$pid"
  done
}

recorded_pid() { # the daemon this test bed started, if it is still alive
  local pid
  pid=$(cat "$PID_FILE" 2>/dev/null) && [[ $pid =~ ^[0-9]+$ ]] && is_nix_daemon "$pid" && echo "$pid"
}

through_wrapper() { # pid: started through the current wrapper (argv[0])
  local argv=()
  mapfile -d '' -t argv 2>/dev/null <"/proc/$1/cmdline" || return 1
  [[ ${argv[0]:-} == "$WRAPPER" ]]
}

socket_answers() { # as the untrusted runner user, through the socket
  [[ -S $SOCKET ]] || return 1
  timeout 5 setpriv --reuid="$RUNNER" --regid="$RUNNER" --init-groups \
    env -i HOME="/home/$RUNNER" PATH="$CLEAN_PATH" NIX_REMOTE=daemon \
    nix --extra-experimental-features nix-command store ping >/dev/null 2>&1
}

stop_pids() { # pids...: TERM, wait up to STOP_WAIT_S, then KILL
  local pid alive=("$@") left i
  kill -TERM "$@" 2>/dev/null || true
  for ((i = 1; i <= (STOP_WAIT_S + 5) * 10; i++)); do
    left=()
    for pid in "${alive[@]}"; do if is_nix_daemon "$pid"; then left+=("$pid"); fi; done
    alive=("${left[@]}")
    ((${#alive[@]} > 0)) || return 0
    if ((i == STOP_WAIT_S * 10)); then
      log "nix-daemon ${alive[*]} still running after ${STOP_WAIT_S}s, sending KILL"
      kill -KILL "${alive[@]}" 2>/dev/null || true
    fi
    sleep 0.1
  done
  die "could not stop nix-daemon ${alive[*]}"
}

# Stops the listener(s). Workers keep serving their clients (like systemd's KillMode=process of
# nix-daemon.service), except with `all` or `mine`: then those of the test bed's own daemon go too.
# `mine` stops only the test bed's own daemon; foreign ones stopped by `up` are noted for `down`.
stop_daemons() {
  local mode=${1:-} ours pid cmd workers=()
  ours=$(recorded_pid || true)
  if [[ -n $ours ]]; then
    if [[ -n $mode ]]; then mapfile -t workers < <(workers_of "$ours"); fi
    stop_pids "$ours" "${workers[@]}"
    log "stopped nix-daemon $ours${workers[*]:+ and its workers ${workers[*]}}"
  fi
  rm -f "$PID_FILE"
  [[ $mode != mine ]] || return 0
  for pid in $(daemon_listeners); do
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    log "stopping nix-daemon $pid, which the test bed did not start: $cmd(its workers keep running)"
    [[ $mode == all ]] || echo "$cmd" >>"$FOREIGN_NOTE"
    stop_pids "$pid"
  done
}

start_daemon() {
  local pid deadline=$((SECONDS + SOCKET_WAIT_S))
  ensure_wrapper
  cancel_fail_starts
  printf -- '--- %s starting nix-daemon --daemon\n' "$(date -u +%FT%TZ)" >>"$LOG_FILE"
  # Clean environment, cwd /, own session: what a service manager would give it.
  (cd / && exec env -i PATH="$CLEAN_PATH" HOME=/root LANG=C.UTF-8 \
    setsid "$WRAPPER" --daemon </dev/null >>"$LOG_FILE" 2>&1) &
  pid=$!
  echo "$pid" >"$PID_FILE"
  while ((SECONDS < deadline)); do
    if socket_answers; then log "nix-daemon $pid answers on $SOCKET" && return 0; fi
    sleep 0.1
    [[ -e /proc/$pid && $(awk '$1 == "State:" { print $2 }' "/proc/$pid/status") != Z ]] || break
  done
  log "error: nix-daemon $pid exited or did not answer on $SOCKET within ${SOCKET_WAIT_S}s; $LOG_FILE:"
  tail -n 20 "$LOG_FILE" >&2
  exit 1
}

# What a job on a hosted runner leaves behind on purpose (the action skips restoring there) must not
# leak into the next test: the runner's own nix.conf, credentials, and the narinfo caches of root (the
# daemon) and runner, which would remember answers of loopback caches that are gone.
clear_job_leftovers() {
  local home
  home=$(getent passwd "$RUNNER" | cut -d: -f6)
  rm -rf "${home:?}/.config/nix" "${home:?}/.cache/nix" /root/.cache/nix "${NIX_CONF%/*}/nix-cache-action"
}

# --- subcommands -----------------------------------------------------------------------------------

cmd_up() {
  need_root up
  ensure_packages
  ensure_users
  ensure_config
  clear_job_leftovers
  cancel_fail_starts
  local ours
  ours=$(recorded_pid || true)
  if [[ -n $ours && $CONF_CHANGED -eq 0 && " $(daemon_listeners | tr '\n' ' ') " == *" $ours "* ]] &&
    through_wrapper "$ours" && socket_answers; then
    log "already up (nix-daemon $ours)"
    return 0
  fi
  stop_daemons
  start_daemon
  log "up (nix-daemon $(<"$PID_FILE"), state in $STATE_DIR)"
}

cmd_down() {
  need_root down
  if [[ -d $STATE_DIR ]]; then stop_daemons all; else stop_daemons mine; fi
  if [[ -e $CONF_BACKUP ]]; then
    cp -p "$CONF_BACKUP" "$NIX_CONF" && log "restored $NIX_CONF"
  elif [[ -e $CONF_ABSENT ]]; then
    rm -f "$NIX_CONF" && log "removed $NIX_CONF (there was none before)"
  fi
  if [[ -e $ADDED_TO_GROUP ]]; then gpasswd --delete "$RUNNER" nix-users >/dev/null; fi
  if [[ -e $CREATED_RUNNER ]] && id "$RUNNER" >/dev/null 2>&1; then
    local pids
    pids=$(find /proc -maxdepth 1 -regex '/proc/[0-9]+' -uid "$(id -u "$RUNNER")" -printf '%f ' 2>/dev/null || true)
    if [[ -n $pids ]]; then
      log "stopping the processes of $RUNNER: $pids"
      # shellcheck disable=SC2086 # a list of pids
      { kill -TERM $pids && sleep 1 && kill -KILL $pids; } 2>/dev/null || true
    fi
    userdel --remove "$RUNNER" 2>/dev/null || userdel --force --remove "$RUNNER"
    rm -rf "/nix/var/nix/profiles/per-user/$RUNNER" "/nix/var/nix/gcroots/per-user/$RUNNER"
    log "removed user $RUNNER and /home/$RUNNER"
  fi
  rm -f "$SUDOERS"
  if [[ -s $FOREIGN_NOTE ]]; then
    log "note: 'up' stopped nix-daemons it had not started; start them again if needed:"
    sed 's/^/testbed:   /' "$FOREIGN_NOTE" >&2
  fi
  rm -rf "$STATE_DIR"
  log "down"
}

cmd_status() {
  need_root status
  local ours listeners
  ours=$(recorded_pid || true)
  listeners=$(daemon_listeners | tr '\n' ' ')
  if [[ -n $ours && " $listeners" == *" $ours "* ]] && socket_answers; then
    echo "up: nix-daemon $ours (started by the test bed) answers on $SOCKET"
    return 0
  fi
  echo "down: listening on $SOCKET: ${listeners:-no nix-daemon }(the test bed's daemon: ${ours:-none})"
  return 1
}

cmd_restart_daemon() {
  need_root restart-daemon
  [[ -d $STATE_DIR ]] || die "the test bed is not up (run 'up' first)"
  stop_daemons
  start_daemon
}

cmd_fail_next_starts() {
  need_root fail-next-starts
  [[ -d $STATE_DIR ]] || die "the test bed is not up (run 'up' first)"
  [[ ${1:-} =~ ^[0-9]+$ ]] || die "usage: $0 fail-next-starts N (N >= 0; 0 cancels)"
  ensure_wrapper
  set_fail_starts "$((10#$1))"
  log "the next $((10#$1)) start(s) of nix-daemon through $WRAPPER will fail"
}

case ${1:-} in
up | down | status | restart-daemon) "cmd_${1//-/_}" ;;
fail-next-starts) cmd_fail_next_starts "${2:-}" ;;
*) echo "usage: $0 up|down|status|restart-daemon|fail-next-starts N" >&2 && exit 2 ;;
esac
