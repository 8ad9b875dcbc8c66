"""Verify every petition's event chain and its sealed head; export or compare the
heads for safekeeping outside the database.

Exit status 0 when everything verifies, 1 when anything does not: suitable for a
nightly job whose failure pages someone.
"""

import hashlib
import json
from pathlib import Path

from django.core.management import BaseCommand, CommandError

from xinfang.audit import state
from xinfang.audit.chain import verify_count, verify_head, verify_petition_chain, verify_state
from xinfang.audit.models import ChainCheckpoint, ChainCount, ChainHead, Event
from xinfang.petitions.models import Petition

BATCH = 500


def _events_by_petition(ids):
    grouped = {i: [] for i in ids}
    for event in Event.objects.filter(petition_id__in=ids).order_by("petition_id", "seq", "id"):
        grouped[event.petition_id].append(event)
    return grouped


class Command(BaseCommand):
    help = "Verify the event log's hash chains and heads (exit 1 on any problem)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--export-head", metavar="FILE", help="write every petition's head to FILE (JSON)"
        )
        parser.add_argument("--against", metavar="FILE", help="also compare with heads exported earlier")

    def handle(self, *args, export_head=None, against=None, **options):
        problems: list[str] = []
        heads_out = {}
        self.cuts = {}
        ids = list(Petition.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            events = _events_by_petition(chunk)
            heads = {h.petition_id: h for h in ChainHead.objects.filter(petition_id__in=chunk)}
            # Where chains resume after retention dropped their oldest events (audit/retention.py).
            cuts = {c.petition_id: c for c in ChainCheckpoint.objects.filter(petition_id__in=chunk)}
            current = state.digests(chunk)
            for petition_id in chunk:
                chain, cut = events[petition_id], cuts.get(petition_id)
                problems += [f"petition {petition_id}: {p}" for p in verify_petition_chain(chain, cut)]
                problems += verify_head(petition_id, chain, heads.get(petition_id), cut)
                problems += verify_state(petition_id, chain, current[petition_id], cut)
                if chain:
                    heads_out[str(petition_id)] = [chain[-1].seq, chain[-1].hash]
                elif cut is not None:
                    heads_out[str(petition_id)] = [cut.seq, cut.hash]
                if cut is not None:
                    self.cuts[petition_id] = (cut.seq, cut.hash)
        orphans = Event.objects.exclude(petition_id__in=ids).count()
        if orphans:
            problems.append(f"{orphans} event(s) belong to no petition")
        # A petition removed with its events and head leaves no broken chain: the sealed count shows it.
        problems += verify_count(ChainCount.objects.filter(pk=1).first(), {int(k) for k in heads_out})
        if against:
            problems += self._compare(Path(against), heads_out)
        if export_head:
            digest = hashlib.sha256(json.dumps(heads_out, sort_keys=True).encode()).hexdigest()
            Path(export_head).write_text(json.dumps({"digest": digest, "heads": heads_out}, sort_keys=True))
            self.stdout.write(
                f"heads of {len(heads_out)} petition(s) written to {export_head}, digest {digest}"
            )
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            listed = "; ".join(problems[:5]) + (" …" if len(problems) > 5 else "")
            raise CommandError(
                f"the audit trail does not verify: {len(problems)} problem(s): {listed}", returncode=1
            )
        self.stdout.write(f"verified {len(ids)} petition(s), {sum(1 for _ in heads_out)} chain(s): intact")

    def _compare(self, path: Path, current: dict) -> list[str]:
        """Every head saved earlier must still be in the chain, with the same hash."""
        try:
            saved = json.loads(path.read_text())["heads"]
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot read the saved heads in {path}: {exc}") from None
        problems = []
        for petition_id, (seq, event_hash) in saved.items():
            cut_seq, cut_hash = self.cuts.get(int(petition_id), (0, ""))
            if seq <= cut_seq:
                # Dropped by retention since: the sealed checkpoint vouches for it, and is that event itself
                # when the saved head was the last event dropped.
                if seq == cut_seq and cut_hash != event_hash:
                    problems.append(
                        f"petition {petition_id}: event {seq} saved earlier is not the one dropped"
                    )
                continue
            found = (
                Event.objects.filter(petition_id=int(petition_id), seq=seq)
                .values_list("hash", flat=True)
                .first()
            )
            if found != event_hash:
                problems.append(f"petition {petition_id}: event {seq} saved earlier is gone or changed")
            elif petition_id not in current:
                problems.append(f"petition {petition_id}: missing")
        return problems
