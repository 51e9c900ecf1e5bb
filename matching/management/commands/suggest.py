from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from matching.scoring import adapter
from proposals.models import Need, Offer


class Command(BaseCommand):
    help = (
        "ニーズに合うシーズ（またはシーズに合うニーズ）を理由つきで表示します。"
        " (Rank partners for one need or offer, with reasons.)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        side = parser.add_mutually_exclusive_group(required=True)
        side.add_argument("--need", type=int, help="need id")
        side.add_argument("--offer", type=int, help="offer id")
        parser.add_argument("--top", type=int, default=10)
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["top"] < 1:
            raise CommandError("--top は1以上にしてください (--top must be at least 1)")
        if options["need"] is not None:
            post = Need.objects.filter(pk=options["need"]).first()
            if post is None:
                raise CommandError(
                    f"ニーズ {options['need']} はありません (no need {options['need']})"
                )
            found = adapter.rank_for_need(post, top_k=options["top"])
            other = Offer.objects.in_bulk([int(s.offer_id) for s in found])
            key = "offer_id"
        else:
            post = Offer.objects.filter(pk=options["offer"]).first()
            if post is None:
                raise CommandError(
                    f"シーズ {options['offer']} はありません (no offer {options['offer']})"
                )
            found = adapter.rank_for_offer(post, top_k=options["top"])
            other = Need.objects.in_bulk([int(s.need_id) for s in found])
            key = "need_id"
        if options["json"]:
            rows = []
            for s in found:
                row = s.to_json()
                row["title"] = other[int(getattr(s, key))].title
                rows.append(row)
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1))
            return
        self.stdout.write(f"{post.title}（{post.organization.name}）")
        if not found:
            self.stdout.write("  提案はありません (no suggestions: closed, expired or no fit)")
        for rank, s in enumerate(found, start=1):
            target = other[int(getattr(s, key))]
            self.stdout.write(
                f"{rank:3}. {s.score:.3f}  {target.title}（{target.organization.name}）"
            )
            for reason in s.reasons:
                self.stdout.write(f"       + {reason}")
            for weakness in s.weaknesses:
                self.stdout.write(f"       - {weakness}")
            parts = ", ".join(
                f"{c.label} {c.contribution:+.3f}" for c in s.components if c.contribution
            )
            self.stdout.write(f"       内訳: {parts}")
