"""python -m scripts.deploy_local up|down|supervise|ctl RUN_DIR ...  (see topology.py)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from scripts.deploy_local import backup, supervisor, topology


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.deploy_local")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up")
    up.add_argument("run_dir", type=Path)
    up.add_argument("--restore-from", type=Path, help="a backup folder, restored before pixpress starts")
    down = commands.add_parser("down")
    down.add_argument("run_dir", type=Path)
    down.add_argument("--purge", action="store_true", help="remove the run folder (every piece's data)")
    commands.add_parser("supervise").add_argument("run_dir", type=Path)
    backup_parser = commands.add_parser("backup", help="pg_dump and the bucket's files into FOLDER")
    backup_parser.add_argument("run_dir", type=Path)
    backup_parser.add_argument("folder", type=Path)
    ctl = commands.add_parser("ctl", help="status | start UNIT | stop UNIT | restart UNIT")
    ctl.add_argument("run_dir", type=Path)
    ctl.add_argument("action")
    ctl.add_argument("unit", nargs="?", default="")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.command == "up":
        source = args.restore_from.resolve() if args.restore_from else None
        top = topology.up(
            args.run_dir.resolve(),
            before_pixpress=(lambda top: backup.restore(top, source)) if source else None,
        )
        print(f"pixpress topology up: {top.url} (certificate {top.cert})")
        print(f"service manager: {top.service_manager}; ports and tokens in {top.run / 'topology.json'}")
        for unit in top.ctl("status")["units"]:
            print(f"  {unit['unit']:32} {unit['state']:9} pid {unit['pid']}")
    elif args.command == "down":
        topology.down(args.run_dir.resolve(), purge=args.purge)
        print(f"pixpress topology in {args.run_dir} stopped")
    elif args.command == "supervise":
        run_dir = args.run_dir.resolve()
        (run_dir / "supervisor.pid").write_text(str(os.getpid()))
        top = topology.Topology.load(run_dir)
        search = [topology.UNITS_DIR, run_dir / "units"]
        supervisor.Supervisor(run_dir, search, top.path_map()).serve()
    elif args.command == "backup":
        size, objects = backup.backup(topology.Topology.load(args.run_dir.resolve()), args.folder)
        print(f"database dump {size} bytes, {objects} files of the bucket, in {args.folder}")
    elif args.command == "ctl":
        reply = supervisor.request(
            args.run_dir.resolve(), args.action, **({"unit": args.unit} if args.unit else {})
        )
        json.dump(reply, sys.stdout, indent=2)
        print()


if __name__ == "__main__":
    main()
