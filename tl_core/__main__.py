"""Command line of the transfer-learning core.

python -m tl_core models [--json]            the pretrained zoo
python -m tl_core charsets [--json]          the built-in character sets
python -m tl_core compare --charset hiragana --shots 5 [--json]   scratch versus transfer
python -m tl_core pretrain --model NAME      (re)train a zoo model and its card
python -m tl_core workspace list|show|fill|export|import|delete|purge ...   the app's workspaces
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tl_core.models.zoo import MODELS_DIR, list_models


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tl_core", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)

    models = commands.add_parser("models", help="list the pretrained digit models")
    models.add_argument("--json", action="store_true", help="print the model cards as JSON")

    charsets = commands.add_parser("charsets", help="list the built-in character sets")
    charsets.add_argument("--json", action="store_true", help="print name, title and labels of each set as JSON")

    from tl_core.models.architectures import DEFAULT_MODEL
    from tl_core.training.settings import TrainSettings
    from tl_core.training.transfer import STRATEGIES

    train_defaults = TrainSettings()
    compare = commands.add_parser("compare", help="train scratch and transfer models on a few samples of a set")
    compare.add_argument("--model", default=DEFAULT_MODEL, help="pretrained zoo model whose backbone transfers")
    compare.add_argument("--charset", required=True, help="built-in character set, e.g. hiragana")
    compare.add_argument("--shots", type=int, required=True, help="rendered training samples per class")
    compare.add_argument("--strategy", default=train_defaults.strategy, choices=STRATEGIES)
    compare.add_argument("--epochs", type=int, default=train_defaults.epochs)
    compare.add_argument("--seed", type=int, default=train_defaults.seed)
    compare.add_argument("--save-dir", type=Path, help="write scratch.keras and transfer.keras here")
    compare.add_argument("--json", action="store_true", help="print the curves as JSON")

    from tl_core.models.pretrain import PretrainConfig

    defaults = PretrainConfig()
    pretrain = commands.add_parser("pretrain", help="(re)train a zoo model on real MNIST and write its card")
    pretrain.add_argument("--model", required=True, help="architecture name, e.g. compact-gap")
    pretrain.add_argument("--epochs", type=int, default=defaults.epochs)
    pretrain.add_argument("--batch-size", type=int, default=defaults.batch_size)
    pretrain.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    pretrain.add_argument("--seed", type=int, default=defaults.seed)
    pretrain.add_argument("--train-limit", type=int, default=None, help="train on the first N digits only")
    pretrain.add_argument(
        "--style-drawings", type=int, default=defaults.style_drawings, help="drawings per digit style mixed in"
    )
    pretrain.add_argument("--out-dir", type=Path, default=MODELS_DIR)

    from tl_core.storage import cli as workspace_cli

    workspace_cli.add_commands(commands)

    args = parser.parse_args(argv)
    if args.command == "workspace":
        return workspace_cli.run(args)
    if args.command == "models":
        return _models(args)
    if args.command == "charsets":
        return _charsets(args)
    if args.command == "compare":
        return _compare(args)
    return _pretrain(args)


def _compare(args) -> int:
    from tl_core.data.charsets import get_charset
    from tl_core.models.architectures import get_architecture
    from tl_core.models.zoo import load_model
    from tl_core.training.engine import compare
    from tl_core.training.results import COMPARISON_MODELS, comparison_summary
    from tl_core.training.settings import TrainSettings
    from tl_core.training.tasks import charset_task

    try:
        get_architecture(args.model)
        get_charset(args.charset)
        if args.shots < 1:
            raise ValueError("--shots must be at least 1.")
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    settings = TrainSettings(strategy=args.strategy, epochs=args.epochs, seed=args.seed).clamped()
    task = charset_task(args.charset, args.shots, seed=args.seed)

    def report(which: str, record) -> None:
        if not args.json:
            print(f"{which:<8} epoch {record.epoch:>3}  eval {record.eval_accuracy:.3f}  {record.seconds:6.2f} s")

    result = compare(load_model(args.model), args.model, task, settings, progress=report)
    summary = comparison_summary(result)
    if args.save_dir:
        args.save_dir.mkdir(parents=True, exist_ok=True)
        result.transfer.model.save(args.save_dir / "transfer.keras")
        result.scratch.model.save(args.save_dir / "scratch.keras")
    if args.json:
        print(json.dumps(summary.to_json(), ensure_ascii=False))
    else:
        for which in COMPARISON_MODELS:
            curves = summary.curves(which)
            print(f"{which}: eval accuracy {curves.eval_accuracy[-1]:.3f} after {curves.seconds} s")
    return 0


def _charsets(args) -> int:
    from tl_core.data.charsets import list_charsets

    return _listing(
        list_charsets(), args.json, lambda c: f"{c['name']:<15} {c['title']:<24} {''.join(c['labels'])[:60]}"
    )


def _models(args) -> int:
    return _listing(
        list_models(),
        args.json,
        lambda card: (
            f"{card['name']:<12} {card['params']:>8,} params  held-out {card['heldout_accuracy']:.1%}  "
            f"drawn {card['drawn_digits_accuracy']:.1%}  styles {card['styles']['all_styles']:.1%}  {card['title']}"
        ),
    )


def _listing(items: list[dict], as_json: bool, row) -> int:
    """Print items as JSON, or one formatted row each."""
    if as_json:
        print(json.dumps(items, indent=2, ensure_ascii=False))
    else:
        for item in items:
            print(row(item))
    return 0


def _pretrain(args) -> int:
    from tl_core.models.architectures import get_architecture
    from tl_core.models.pretrain import PretrainConfig, pretrain

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
        style_drawings=args.style_drawings,
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
