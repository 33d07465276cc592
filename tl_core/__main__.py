"""Command line: `python -m tl_core models|charsets [--json]`, `python -m tl_core pretrain --model NAME`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tl_core.zoo import MODELS_DIR, list_models


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tl_core", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    models = commands.add_parser("models", help="list the pretrained digit models")
    models.add_argument("--json", action="store_true", help="print the model cards as JSON")

    charsets = commands.add_parser("charsets", help="list the built-in character sets")
    charsets.add_argument("--json", action="store_true", help="print name, title and labels of each set as JSON")

    from tl_core.pretrain import PretrainConfig

    defaults = PretrainConfig()
    pretrain = commands.add_parser("pretrain", help="(re)train a zoo model on real MNIST and write its card")
    pretrain.add_argument("--model", required=True, help="architecture name, e.g. compact-gap")
    pretrain.add_argument("--epochs", type=int, default=defaults.epochs)
    pretrain.add_argument("--batch-size", type=int, default=defaults.batch_size)
    pretrain.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    pretrain.add_argument("--seed", type=int, default=defaults.seed)
    pretrain.add_argument("--train-limit", type=int, default=None, help="train on the first N digits only")
    pretrain.add_argument("--out-dir", type=Path, default=MODELS_DIR)

    args = parser.parse_args(argv)
    if args.command == "models":
        return _models(args)
    if args.command == "charsets":
        return _charsets(args)
    return _pretrain(args)


def _charsets(args) -> int:
    from tl_core.charsets import list_charsets

    sets = list_charsets()
    if args.json:
        print(json.dumps(sets, indent=2, ensure_ascii=False))
        return 0
    for charset in sets:
        print(f"{charset['name']:<15} {charset['title']:<24} {''.join(charset['labels'])[:60]}")
    return 0


def _models(args) -> int:
    cards = list_models()
    if args.json:
        print(json.dumps(cards, indent=2, ensure_ascii=False))
        return 0
    for card in cards:
        print(
            f"{card['name']:<12} {card['params']:>8,} params  held-out {card['heldout_accuracy']:.1%}  "
            f"drawn {card['drawn_digits_accuracy']:.1%}  {card['title']}"
        )
    return 0


def _pretrain(args) -> int:
    from tl_core.models import get_architecture
    from tl_core.pretrain import PretrainConfig, pretrain

    try:
        get_architecture(args.model)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    config = PretrainConfig(
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
        train_limit=args.train_limit,
    )

    def report(epoch: int, total: int, logs: dict) -> None:
        print(f"epoch {epoch}/{total}  loss {logs['loss']:.4f}  accuracy {logs['accuracy']:.4f}", flush=True)

    card = pretrain(args.model, args.out_dir, config, progress=report)
    print(
        f"{card['name']}: held-out {card['heldout_accuracy']:.2%}, drawn digits "
        f"{card['drawn_digits_accuracy']:.2%}, {card['training_seconds']} s -> {args.out_dir / card['file']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
