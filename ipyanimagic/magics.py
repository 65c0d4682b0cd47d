"""The IPython magics: thin wrappers that parse options and call the Python API."""

from __future__ import annotations

import keyword
from typing import Any

import jinja2
from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

from .bridge.jsexec import jsexec
from .frames.source import FrameSourceError
from .limits import CACHE_MB_DEFAULT, LOOP_MODES, PLAYER_FORMATS, QUALITY_DEFAULT
from .player.animate import animate
from .player.export import ExportError
from .player.options import PlayerOptionError

__all__ = ["AnimagicMagics"]


@magics_class
class AnimagicMagics(Magics):
    """Magics registered by ``%load_ext ipyanimagic``."""

    @magic_arguments()
    @argument(
        "--html",
        action="store_true",
        help="The cell is an HTML fragment; its <script> elements run "
        "(default: the cell is JavaScript).",
    )
    @argument(
        "--template",
        action="store_true",
        help="Render the cell with Jinja first: names from the user namespace, "
        "autoescaped, with a tojson filter for JavaScript values (default: off).",
    )
    @argument(
        "--name",
        default=None,
        help="Bind the cell's widget to this name in the user namespace, to call what "
        "the page exposes: NAME.call('f', ...), NAME.eval_js('...') (default: none).",
    )
    @cell_magic
    def jsexec(self, line: str, cell: str) -> None:
        """Run the cell's JavaScript in its output, with a kernel API in scope.

        The code is the body of an async function with these names:

        - ``element``: the output's DOM element;
        - ``kernel.execute(code, callbacks, options)``: as in the classic notebook;
          ``callbacks.output(out_type, out)`` gets "stream", "pyout", "pyerr" and
          "display_data"; returns a message id;
        - ``IPython.notebook.kernel``: the same object, for code written for it;
        - ``python``: promises: ``exec(code)``, ``eval(expr)``, ``get(name)``,
          ``set(name, value)``, ``call(name, ...args)``.
        """
        args = parse_argstring(self.jsexec, line)
        assert self.shell is not None  # IPython registers magics with their shell
        if args.name is not None and not (
            args.name.isidentifier() and not keyword.iskeyword(args.name)
        ):
            raise UsageError(f"%%jsexec --name: {args.name!r} is not a Python name")
        try:
            widget = jsexec(
                cell, html=args.html, template=args.template, namespace=self.shell.user_ns
            )
        except jinja2.TemplateError as exc:
            raise UsageError(f"%%jsexec --template: {type(exc).__name__}: {exc}") from None
        if args.name is not None:
            self.shell.user_ns[args.name] = widget
        display(widget)

    @magic_arguments()
    @argument(
        "animation",
        help="A matplotlib FuncAnimation or ArtistAnimation: a name or expression "
        "from the user namespace.",
    )
    @argument(
        "--fps",
        type=float,
        default=None,
        help="Frames per second (default: 1000 / the animation's interval).",
    )
    @argument(
        "--loop",
        choices=LOOP_MODES,
        default=None,
        help="What happens at either end (default: loop if the animation repeats, else once).",
    )
    @argument("--autoplay", action="store_true", help="Start playing at once (default: off).")
    @argument("--start", type=int, default=0, help="The frame shown first (default: 0).")
    @argument(
        "--format",
        choices=PLAYER_FORMATS,
        default="auto",
        help="Frame encoding; auto sends JPEG while playing and PNG at rest (default: auto).",
    )
    @argument(
        "--quality",
        type=int,
        default=QUALITY_DEFAULT,
        help=f"JPEG quality, 1-100 (default: {QUALITY_DEFAULT}).",
    )
    @argument("--dpi", type=float, default=None, help="Render at this dpi (default: the figure's).")
    @argument(
        "--cache-mb",
        type=float,
        default=CACHE_MB_DEFAULT,
        help=f"Kernel memory for encoded frames, in MB (default: {CACHE_MB_DEFAULT:g}).",
    )
    @argument(
        "--no-blit",
        action="store_true",
        help="Always draw whole frames (default: redraw only what changes when that is "
        "pixel-identical, which is checked).",
    )
    @argument(
        "--realtime",
        action="store_true",
        help="Skip frames to keep the animation's clock when the kernel cannot keep up "
        "(default: show every frame).",
    )
    @argument(
        "--pure",
        action="store_true",
        help="Frame i depends on i alone: random access at once (default: measured on a "
        "copy; in order until known).",
    )
    @argument(
        "--sequential",
        action="store_true",
        help="Frames depend on the ones before: always drawn in order from the start and "
        "kept (default: measured on a copy).",
    )
    @argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="Draw a pure animation's frames in N local processes (needs the 'parallel' "
        "extra; default: in the kernel).",
    )
    @argument(
        "--export",
        metavar="PATH",
        default=None,
        help="Also write a self-contained HTML file that plays offline (default: none).",
    )
    @argument(
        "--embed",
        action="store_true",
        help="Also carry a player with every frame in the output, for viewers without a "
        "kernel (nbconvert's HTML, nbviewer); same size limit as --export (default: off).",
    )
    @line_magic
    def animate(self, line: str) -> None:
        """Show a player for a matplotlib animation; the kernel renders frames on demand.

        Controls: first, previous, reverse, pause, play, next, last; a frame slider;
        loop mode and speed; keyboard (space: play/pause, arrows: step) when focused.
        Re-running the cell closes the previous player. Python: ``ipyanimagic.animate``.
        """
        args = parse_argstring(self.animate, line)
        expr = args.animation
        assert self.shell is not None  # IPython registers magics with their shell
        try:
            obj = self.shell.ev(expr)
        except NameError as exc:
            raise UsageError(f"%animate: {exc}") from None
        except Exception as exc:
            raise UsageError(
                f"%animate: cannot evaluate {expr!r}: {type(exc).__name__}: {exc}"
            ) from None
        try:
            player = animate(
                obj,
                fps=args.fps,
                loop=args.loop,
                autoplay=args.autoplay,
                start=args.start,
                format=args.format,
                quality=args.quality,
                dpi=args.dpi,
                cache_mb=args.cache_mb,
                blit=not args.no_blit,
                realtime=args.realtime,
                embed=args.embed,
                pure=_purity(args.pure, args.sequential),
                workers=args.workers,
            )
        except (FrameSourceError, PlayerOptionError) as exc:
            raise UsageError(f"%animate {expr}: {exc}") from None
        except ExportError as exc:
            raise UsageError(f"%animate --embed: {exc}") from None
        if args.export:
            try:
                out = player.save_html(args.export)
            except (ExportError, OSError) as exc:
                player.close()
                raise UsageError(f"%animate --export: {exc}") from None
            print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
        display(player)


def _purity(pure: bool, sequential: bool) -> bool | None:
    if pure and sequential:
        raise UsageError("%animate: --pure and --sequential contradict each other; give one")
    return True if pure else (False if sequential else None)


def load(shell: Any) -> AnimagicMagics:
    magics = AnimagicMagics(shell)
    shell.register_magics(magics)
    return magics


def unload(shell: Any, magics: AnimagicMagics) -> None:
    """Remove exactly the magics we registered (IPython has no public unregister)."""
    manager = shell.magics_manager
    for kind, names in magics.magics.items():
        table = manager.magics.get(kind, {})
        for name, func in names.items():
            if table.get(name) == func:
                del table[name]
    manager.registry.pop(type(magics).__name__, None)
