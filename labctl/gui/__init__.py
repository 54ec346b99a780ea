"""The labctl GUI (`labctl gui`): PySide6 + pyqtgraph, a subscriber of the runner.

It sends commands to the runner and receives its events (labctl.events) through a queue
drained on the GUI thread; it never touches a transport. One module per panel: `plots`
(live Nyquist, Bode, I(t), T(t), Arrhenius), `bench_panel`, `run_panel`, `browser`,
`window` (the main window); `livecurve` keeps plots smooth at 10^6 points.
"""
