"""The frames of an animation: made, drawn, encoded and kept, in this process.

It owns an animation's frames by index (``source``: the init draw and generator data
as ``Animation.save`` makes them), drawing into RGBA with blitting checked pixel-exact
(``render``), PNG / JPEG (``encode``), the byte-bounded cache (``cache``), the
render -> encode -> cache path (``pipeline``), frames of an animation that remembers,
drawn only in order and kept (``sequential``, ``history``), frames captured from a
figure a running loop changes (``live``), and whether an animation remembers at all
(``purity``).

It knows nothing of widgets or pages: a frame is asked for by index and answered with a
``Future``; how it reaches a page is the player's business.

May import: the top's shared modules.
"""
