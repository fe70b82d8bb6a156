# Private backing services for the benchmark scripts (sourced, not run): a PostgreSQL cluster made with
# initdb/pg_ctl (stock postgresql.conf: only where to listen is set) and a single-node Ceph RADOS Gateway.
# The caller sets WORK, PG_BIN, PG_DATA, CEPH, PORT_BASE, SERVER_CPU and CEPH_OBJECTSTORE and defines log and
# die; stop_backends belongs in its EXIT trap.

# PostgreSQL runs as the postgres user when the script runs as root.
if [[ $(id -u) == 0 ]]; then as_pg() { runuser -u postgres -- "$@"; }; PG_OWNER=postgres; else as_pg() { "$@"; }; PG_OWNER=$(id -un); fi

# start_postgres: a cluster on 127.0.0.1:PORT_BASE+90 with an empty database "berth"; sets PG_PORT, PG_USER,
# PG_CONNECTION and pg_sql SQL [DATABASE].
start_postgres() {
  PG_PORT=$((PORT_BASE + 90))
  PG_USER=berth
  log "starting PostgreSQL ($PG_BIN) on 127.0.0.1:$PG_PORT"
  mkdir -p "$WORK/pg"; chown "$PG_OWNER" "$WORK/pg"
  as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_USER" -A trust -E UTF8 --no-locale >"$WORK/pg-initdb.log" 2>&1 ||
    { cat "$WORK/pg-initdb.log" >&2; die "initdb failed"; }
  # Only where to listen; everything else (fsync, synchronous_commit, shared_buffers...) stays stock.
  printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nport = %s\n" "$WORK/pg" "$PG_PORT" >>"$PG_DATA/postgresql.conf"
  as_pg taskset -c "$SERVER_CPU" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$WORK/pg/server.log" -w -t 60 start >/dev/null ||
    { cat "$WORK/pg/server.log" >&2; die "PostgreSQL did not start"; }
  pg_sql() { as_pg "$PG_BIN/psql" -h "$WORK/pg" -p "$PG_PORT" -U "$PG_USER" -d "${2:-postgres}" -v ON_ERROR_STOP=1 -qAt -c "$1"; }
  pg_sql "CREATE DATABASE berth"
  PG_CONNECTION="Host=127.0.0.1;Port=$PG_PORT;Username=$PG_USER;Database=berth"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
S3_ACCESS_KEY=benchaccesskey000000
S3_SECRET_KEY=benchsecretkey00000000000000000000000000
start_rgw() {
  local fsid mon_port conf=$CEPH/ceph.conf osd_uuid id rgw_port deadline
  deadline=$(( $(date +%s) + 120 ))
  fsid=$(cat /proc/sys/kernel/random/uuid); mon_port=$(free_port)
  mkdir -p "$CEPH"/{run,log,crash,mon.a,osd.0,rgw}; : >"$CEPH/pids"
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
run dir = $CEPH/run
admin socket = $CEPH/run/\$name.asok
log file = $CEPH/log/\$name.log
pid file = $CEPH/run/\$name.pid
keyring = $CEPH/keyring
crash dir = $CEPH/crash
log to stderr = false
[mon]
mon data = $CEPH/mon.\$id
mon cluster log file = $CEPH/log/cluster.log
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.01
paxos min wait = 0.001
[osd]
osd data = $CEPH/osd.\$id
osd objectstore = $CEPH_OBJECTSTORE
bluestore block size = 10737418240
bluestore block create = true
bluestore fsck on mount = false
osd memory target = 939524096
bluestore cache autotune = false
bluestore cache size = 134217728
[client.rgw]
# radosgw defaults to cephx + secure mon mode, impossible with auth none.
ms mon client mode = crc secure
rgw data = $CEPH/rgw
rgw enable usage log = false
EOF
  ceph-authtool --create-keyring --gen-key --name=mon. "$CEPH/keyring" --cap mon 'allow *' >/dev/null
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$CEPH/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$CEPH/monmap" --keyring "$CEPH/keyring" >>"$CEPH/log/mkfs.err" 2>&1 || die "ceph-mon --mkfs failed"
  taskset -c "$SERVER_CPU" ceph-mon -c "$conf" -i a -f </dev/null >>"$CEPH/log/mon.out" 2>&1 &
  echo "mon $!" >>"$CEPH/pids"
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(ceph -c "$conf" --connect-timeout 30 osd new "$osd_uuid" 2>>"$CEPH/log/mkfs.err") || die "ceph osd new failed"
  ceph-osd -c "$conf" -i "$id" --mkfs --osd-uuid "$osd_uuid" >>"$CEPH/log/mkfs.err" 2>&1 || die "ceph-osd --mkfs failed"
  taskset -c "$SERVER_CPU" ceph-osd -c "$conf" -i "$id" -f </dev/null >>"$CEPH/log/osd.out" 2>&1 &
  echo "osd $!" >>"$CEPH/pids"
  until ceph -c "$conf" --connect-timeout 5 osd stat -f json 2>/dev/null | grep -q '"num_up_osds":1'; do
    (( $(date +%s) < deadline )) || die "the Ceph OSD did not come up; see $CEPH/log"
    sleep 0.2
  done
  radosgw-admin -c "$conf" user create --uid=bench --display-name=bench \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null 2>>"$CEPH/log/rgw-admin.err" || die "radosgw-admin user create failed"
  rgw_port=$(free_port)
  taskset -c "$SERVER_CPU" radosgw -c "$conf" -n client.rgw -f --rgw-frontends "beast endpoint=127.0.0.1:$rgw_port" \
    </dev/null >>"$CEPH/log/rgw.out" 2>&1 &
  echo "rgw $!" >>"$CEPH/pids"
  S3_URL=http://127.0.0.1:$rgw_port
  until curl -sf -m 2 -o /dev/null "$S3_URL/"; do
    (( $(date +%s) < deadline )) || die "radosgw did not answer on $S3_URL"
    sleep 0.2
  done
}

# stop_backends: stops what start_postgres and start_rgw started (the RGW first, then the OSD, then the mon).
stop_backends() {
  local name pid
  [[ -f $PG_DATA/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  if [[ -f $CEPH/pids ]]; then
    # rgw first, then the OSD, then the mon: each waits for the next one down otherwise.
    while read -r name pid; do
      kill "$pid" 2>/dev/null || continue
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done < <(tac "$CEPH/pids")
  fi
}
