"""The ``nnscratch`` command: ``train``, ``evaluate``, ``predict``, ``info`` (and plug-ins).

Every subcommand lives in a module with a ``register(subparsers)`` function
that adds its parser and sets ``func`` (``args -> exit code``)::

    def register(subparsers):
        p = subparsers.add_parser("plot", help="...", description="...")
        p.add_argument(...)
        p.set_defaults(func=run)

Every module in :data:`COMMANDS` registers its subcommands with ``register``;
modules that need optional packages (matplotlib, torch) import them only when
their command runs, so every command is always listed.

Errors a user can cause (bad option value, missing file, a dataset that cannot
be found, a model that does not fit the data) print one line on stderr and
exit with status 2; an error nnscratch did not foresee (a bug: a bare ValueError,
ZeroDivisionError, KeyError ...) prints one line naming its type and exits with status 1;
``--debug`` shows the traceback instead. Warnings print as one plain ``warning: ...``
line each, once. Ctrl-C ends a command with status 130, SIGTERM (a time limit, ``kill``, ``timeout``)
with 143, SIGHUP (the terminal closed, an ssh session dropped) with 129, each with one line and every
cleanup done (:mod:`.stopping`).
"""

import argparse
import contextlib
import importlib
import re
import sys
import warnings

from ..distributed.comm import launched_rank
from ..errors import NNScratchError, UsageError, closest, exit_status
from .habits import CHOICE_HINTS, COMMAND_HABITS, HABITS, HINTS, SHORT
from . import stopping
from .streams import GO_ON, carry_on, one_rank_speaks, to_null

COMMANDS = ("nnscratch.cli.train", "nnscratch.cli.inspect", "nnscratch.cli.info", "nnscratch.cli.export",
            "nnscratch.cli.plot", "nnscratch.cli.bench")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (plus where to get help)."""

    def error(self, message):
        unknown = message.startswith("unrecognized arguments: ")
        extra = getattr(self, "extra", None) or message.split(": ", 1)[1].split()  # as typed: "my data.csv" whole
        close = self._close_option(extra) if unknown else self._close_choice(message)
        raise UsageError(f"{message}{close}{self._order(message)}{_ambiguous(message)} (see `{self.prog} --help`)")

    def _order(self, message):
        """``: nnscratch predict [options] model INPUT [INPUT ...]`` for a missing argument, so that
        `nnscratch predict digit.png` shows the model goes first; or nothing."""
        if not message.startswith("the following arguments are required"):
            return ""
        formatter = self._get_formatter()
        return f"; usage: {self.prog} [options] " + " ".join(
            formatter._format_args(a, a.dest) for a in self._get_positional_actions())

    def _close_choice(self, message):
        """``; did you mean 'train'?`` for ``invalid choice: 'trian'``, or nothing."""
        if "invalid choice: " not in message:
            return ""
        named, given = message.split(": invalid choice: ", 1)
        given = given.split(" (", 1)[0].strip("'\"")
        choices = [str(c) for action in self._actions if action.choices
                   and named == f"argument {argparse._get_action_name(action)}" for c in action.choices]
        if given.lower() in CHOICE_HINTS.get(named, {}):  # --split val
            return f"; {CHOICE_HINTS[named][given.lower()]}"
        habit = COMMAND_HABITS.get(given.lower()) if named == "argument COMMAND" else None  # fit: train
        meant = next((c for c in choices if c.lower() == (habit or given).lower()), None)  # RELU: relu
        if meant:
            return f"; did you mean {meant!r}?"
        if habit and habit.startswith("--"):  # version: --version
            return f"; did you mean `{self.prog} {habit}`?"
        return _did_you_mean(given, choices, quote=True)

    def _close_option(self, extra):
        """``; did you mean --batch-size?`` for the first unknown option of ``extra`` near a known one."""
        known = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
        hints = HINTS.get(self.prog.split()[-1], {})
        for token in extra:
            data = "" if token.startswith("-") else _data_as_argument(self.prog.split()[-1], token, known)
            if data:  # `train data.csv`: the data set given as an argument
                return data
            if len(token) == 2 and token[0] == "-" and not token[1].isdigit():  # -q: no short options but -h
                long = next((o for o in SHORT.get(token, ()) if o in hints or o in known), None)
                return "" if long is None else f"; {hints[long].format(option=long)}" if long in hints \
                    else f"; did you mean {long}?"
            if token.startswith("-") and len(token) > 1 and not token[1:2].isdigit():
                plain = "--" + token.split("=", 1)[0].lstrip("-").replace("_", "-").lower()
                hint = hints.get(plain)  # a habit that is another idea here
                if hint:
                    return f"; {hint.format(option=plain)}"
                plain = HABITS.get(plain, plain)  # the Keras / PyTorch spellings
                if plain in known:
                    return f"; did you mean {plain}?"
                owners = self.owners(plain)  # `train --split test`: evaluate's option, not a typo of --plot
                if owners:
                    return f"; {plain} is an option of {owners}, not of `{self.prog}`"
                return _did_you_mean(plain, known)
        return ""

    def owners(self, option):
        """The other commands that take ``option``, as ```nnscratch evaluate` and `nnscratch plot```."""
        names = [f"`{p.prog}`" for p in getattr(self, "commands", {}).values()
                 if p is not self and option in p._option_string_actions]
        return " and ".join(filter(None, (", ".join(names[:-1]), names[-1]))) if names else ""


def _data_as_argument(command, token, known):
    """``; did you mean --dataset data.csv?`` where a command that reads a data set (train, evaluate, plot) was
    given one as an argument (`nnscratch train spirals`, `nnscratch evaluate model.npz data.csv`); or nothing
    (a model file given twice is no data set)."""
    import shlex
    from ..datasets.catalog import NAMES, file_kind
    from ..saving.kinds import is_kind

    if command not in ("train", "evaluate", "plot") or "--dataset" not in known:
        return ""
    kind, path = file_kind(token)
    if token.lower() not in NAMES and (kind is None or any(is_kind(p, k) for p in path.split(",")
                                                           for k in ("model", "checkpoint"))):
        return ""
    return f"; did you mean --dataset {shlex.quote(token.lower() if token.lower() in NAMES else token)}?"


def _ambiguous(message):
    """``; write the option out: --dataset or --data-dir`` for argparse's ``ambiguous option: --data could match
    --dataset, --data-dir`` (an abbreviation of several options), or nothing."""
    if not message.startswith("ambiguous option: ") or " could match " not in message:
        return ""
    options = [o.split("=", 1)[0].strip() for o in message.split(" could match ", 1)[1].split(",")]
    return f"; write the option out: {', '.join(options[:-1])} or {options[-1]}" if len(options) > 1 else ""


def _did_you_mean(word, candidates, quote=False):
    """``; did you mean X?`` for the candidate closest to ``word``, or ``""`` where none is close."""
    close = closest(word, candidates)
    if close is None or re.sub(r"\d", "", close) == re.sub(r"\d", "", word):  # float16: another value, not a typo
        return ""
    return f"; did you mean {close!r}?" if quote else f"; did you mean {close}?"


class CommandParser(Parser):
    """A subcommand's parser: arguments it does not know are its own error (`nnscratch info --help`),
    not the top-level parser's."""

    def parse_known_args(self, args=None, namespace=None):
        namespace, extra = super().parse_known_args(args, namespace)
        if extra:
            self.extra = extra
            self.error(f"unrecognized arguments: {' '.join(extra)}")  # with the option meant: Parser.error
        return namespace, extra


def build_parser():
    """The full parser with every registered subcommand."""
    parser = Parser(prog="nnscratch", description="Train, evaluate and use small neural "
                    "networks written from scratch (NumPy, CuPy, PyTorch, array-api-strict).")
    parser.add_argument("--version", action="version", version=f"nnscratch {_version()}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    for command in (parser, *sub.choices.values()):
        command.commands = sub.choices  # so a mistake can name the command an option belongs to
    return parser


def _option_before_command(parser, argv):
    """`nnscratch --epochs 3 train`: a command's option typed before the command (argparse took the
    ``3`` for the command's name); a UsageError that shows the order, or nothing."""
    option = argv[0].split("=", 1)[0] if argv else ""
    if not option.startswith("--") or option in parser._option_string_actions:
        return
    command = next((a for a in argv if a in parser.commands), None)
    if command is not None and option in parser.commands[command]._option_string_actions:
        rest = " ".join(a for a in argv if a is not command)
        raise UsageError(f"{option} goes after the command: `nnscratch {command} {rest}` "
                         f"(see `nnscratch {command} --help`)")
    owners = parser.owners(option)
    if owners and command is not None:
        raise UsageError(f"{option} is an option of {owners}, not of `nnscratch {command}` "
                         f"(see `nnscratch {command} --help`)")
    if owners:
        raise UsageError(f"{option} is an option of {owners}; name the command first, e.g. "
                         f"`{owners.split('`')[1]} {' '.join(argv)}`")


def main(argv=None):
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    argv = [a for a in argv if a != "--debug"]
    command = argv[0] if argv else None
    with stopping.sigterm_as_ctrl_c(), one_rank_speaks(command, debug, argv), carry_on(command in GO_ON):  # streams.py
        return _main(argv, debug)


def _main(argv, debug):
    try:
        parser = build_parser()
        _option_before_command(parser, argv)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
        with plain_warnings():
            status = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at exit: a reader gone (`| true`) is the BrokenPipeError below, no noise
        return status
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM or SIGHUP (stopping.py): 130, 143 or 129
        if launched_rank() == 0:  # under mpiexec Ctrl-C (SIGTERM) reaches every rank: rank 0 says it, once
            held = getattr(exc, "held", None)  # a refused write whose work was kept: said first
            stopping.say(*([one_line(held)] if held is not None else []), f"nnscratch: {stopping.words(exc)}")
        return stopping.status(exc)
    except BrokenPipeError:  # `nnscratch info | head -2`: the reader has all it wanted, as with `git log | head`
        to_null(sys.stdout)
        return 0
    except Exception as exc:  # a mistake, or a bug of any type (ZeroDivisionError, KeyError ...): one line
        if debug:
            raise
        from ..distributed import report_error
        report_error(one_line(exc), exc, parallel=argv[:1] == ["train"])  # under mpiexec, train ends every rank
        return exit_status(exc)  # 2 for a mistake; 1 for a bug (one_line names its type)


@contextlib.contextmanager
def plain_warnings():
    """Every warning raised while a command runs becomes one ``warning: ...`` line on stderr, once
    (no Python warning format, no source line); deprecation notices meant for developers stay silent."""
    said = set()

    def show(message, category, filename, lineno, file=None, line=None):
        text = " ".join(str(message).split())
        if text not in said:
            said.add(text)
            print(f"warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        warnings.showwarning = show
        yield


@contextlib.contextmanager
def recorded_warnings():
    """The list of every warning shown inside (each text once, as :func:`plain_warnings` prints it),
    for a command that also reports them (``train --json``)."""
    said = []
    with warnings.catch_warnings():
        shown = warnings.showwarning

        def show(message, *rest, **options):
            text = " ".join(str(message).split())
            if text not in said:
                said.append(text)
            shown(message, *rest, **options)

        warnings.showwarning = show
        yield said


def one_line(exc):
    """``error: <message>`` on one line; the exception type when it adds information."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, (UsageError, NNScratchError, FileNotFoundError, ImportError)):  # ImportError: a missing package
        return f"error: {text}"
    return f"error: {type(exc).__name__}: {text} (run with --debug for the traceback)"


def _version():
    try:
        from .. import __version__
        return __version__
    except ImportError:
        return "unknown"
