"""The run panel: a recipe from a file or the form; validate; start, pause, resume, abort;
progress with the time remaining; the recipe's steps with the current one highlighted;
the event log with warnings and errors in colour."""

from __future__ import annotations


from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPlainTextEdit, QProgressBar, QPushButton, QScrollArea,
                               QSplitter, QTabWidget, QVBoxLayout, QWidget)

from labctl import events as ev
from labctl.errors import ConfigError, LabctlError
from labctl.gui import filedialogs
from labctl.gui.recipe_form import RecipeForm
from labctl.gui.session import Session
from labctl.recipe import Recipe, load_recipe
from labctl.runstate import Command, RunState, accepts
from labctl.runview import duration, result_text
from labctl.units import K_to_C

LEVEL_COLOURS = {"warning": "#b36b00", "error": "#c00000", "critical": "#c00000"}
END_LEVELS = {RunState.DONE: "info", RunState.ABORTED: "warning"}   # log level of a run's end
BUTTONS = (Command.START, Command.PAUSE, Command.RESUME, Command.ABORT)   # enabled by state


class RunPanel(QWidget):
    recipe_started = Signal(object)     # the Recipe, when a run is started from here

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.recipe: Recipe | None = None
        self.source = QTabWidget()
        self.form = RecipeForm(session.config)
        scroll = self.form_area = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)   # messages wrap instead
        self.source.addTab(scroll, "Build a recipe")
        file_tab = QWidget()
        file_layout = QVBoxLayout(file_tab)
        row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("recipe TOML file")
        browse = QPushButton("Open…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        file_layout.addLayout(row)
        self.file_problems = QLabel()
        self.file_problems.setStyleSheet("color: #c00000;")
        self.file_problems.setWordWrap(True)
        self.file_problems.setTextInteractionFlags(Qt.TextSelectableByMouse)
        problems = QScrollArea()            # a long list scrolls, the buttons stay put
        problems.setWidget(self.file_problems)
        problems.setWidgetResizable(True)
        problems.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        problems.setMaximumHeight(160)
        problems.setFrameShape(QScrollArea.NoFrame)
        problems.hide()                     # until there are problems
        self.file_problems_area = problems
        file_layout.addWidget(problems)
        self.file_text = QPlainTextEdit()
        self.file_text.setReadOnly(True)
        self.file_text.setPlaceholderText("the recipe, once validated")
        file_layout.addWidget(self.file_text, 1)
        self.source.addTab(file_tab, "Recipe file")

        self.buttons = {name: QPushButton(name.capitalize()) for name in
                        ("validate", "start", "pause", "resume", "abort")}
        self.buttons["validate"].clicked.connect(self.validate)
        self.buttons["start"].clicked.connect(self.start)
        self.buttons["pause"].clicked.connect(lambda: self._command(session.pause))
        self.buttons["resume"].clicked.connect(lambda: self._command(session.resume))
        self.buttons["abort"].clicked.connect(lambda: self._command(session.abort))
        buttons = QHBoxLayout()
        for button in self.buttons.values():
            buttons.addWidget(button)
        self.state = QLabel(RunState.IDLE)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("%p %")
        self.remaining = QLabel("")
        self.steps = QListWidget()
        self.log = QListWidget()
        self.log.setWordWrap(True)
        self.ended: str | None = None          # how the last run ended: done, aborted, failed
        self._last_state = RunState.IDLE

        upper = QWidget()                   # the recipe with its buttons and the status
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.source, 1)
        upper_layout.addLayout(buttons)
        status = QHBoxLayout()
        status.addWidget(self.state)
        status.addWidget(self.progress, 1)
        upper_layout.addLayout(status)
        upper_layout.addWidget(self.remaining)
        self.remaining.setWordWrap(True)
        split = QSplitter(Qt.Vertical)      # the recipe first; steps and log below
        split.addWidget(upper)
        split.addWidget(_titled("Steps", self.steps))
        split.addWidget(_titled("Event log", self.log))
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 2)
        split.setStretchFactor(2, 3)
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self._enable(RunState.IDLE)

    # -- commands ---------------------------------------------------------------------------
    def validate(self) -> Recipe | None:
        """The recipe of the current tab; problems shown next to the fields / below the
        file name."""
        self.recipe = None
        if self.source.currentIndex() == 0:
            self.recipe = self.form.recipe(self.session.config)
            if self.recipe is None:
                self._form_problems()
        else:
            self.file_problems.setText("")
            try:
                self.recipe = load_recipe(self.path.text().strip(), self.session.config)
                self.file_text.setPlainText(self.recipe.text)
            except ConfigError as exc:
                self.file_problems.setText(str(exc))
                self.file_text.clear()
            self.file_problems_area.setVisible(bool(self.file_problems.text()))
        if self.recipe is not None:
            self._list_steps(self.recipe)
            self.add_log("info", f"recipe {self.recipe.name!r} is valid: "
                                 f"{len(self.recipe.steps)} steps")
        return self.recipe

    def _form_problems(self) -> None:
        """Name the form's fields with problems in the log (and the problems of none) and
        scroll to the first one."""
        keys, general = self.form.problems, self.form.general.text()
        fields = ", ".join(self.form.names[key] for key in keys)
        self.add_log("warning", "the form is not valid: " + "; ".join(
            filter(None, [fields and f"fields to correct: {fields}", general])))
        self.form_area.ensureWidgetVisible(self.form.edits[keys[0]] if keys else self.form.general)

    def start(self) -> None:
        recipe = self.validate()
        if recipe is not None:
            self._command(lambda: self.session.start(recipe))
            self.recipe_started.emit(recipe)

    def _command(self, command) -> None:
        try:
            command()
        except LabctlError as exc:
            self.add_log("error", str(exc))

    def _browse(self) -> None:
        name = filedialogs.open_file(self, "Open a recipe", "Recipes (*.toml)")
        if name:
            self.path.setText(name)
            self.validate()

    # -- events -----------------------------------------------------------------------------
    def handle(self, event) -> None:
        if isinstance(event, ev.StateChanged):
            self._enable(event.state)
            paused_or_running = (RunState.PAUSED, RunState.RUNNING)
            if event.reason and event.state not in (RunState.ABORTING, RunState.FAILED):
                self.add_log("info", f"{event.state}: {event.reason}")
            elif event.state in paused_or_running and self._last_state in paused_or_running:
                self.add_log("info", "paused" if event.state == RunState.PAUSED else "resumed")
            self._last_state = event.state
        elif isinstance(event, ev.RunStarted):
            self.ended = None
            if self.session.runner.recipe is not None:    # this run's steps (a one-off's too)
                self._list_steps(self.session.runner.recipe)
            self.progress.setValue(0)
            self.add_log("info", f"run {event.run_id} started: {event.name}")
        elif isinstance(event, ev.StepStarted):
            self._highlight(event.path)
            self.add_log("info", f"{event.path} started")
        elif isinstance(event, ev.StepFinished):
            self._mark(event.path, "✓")
        elif isinstance(event, ev.MeasurementFinished):
            summary = result_text(event.kind, event.result)     # as the protocol declares
            self.add_log("info" if event.status in END_LEVELS else "warning",
                         f"{event.kind} {event.status}" + (f": {summary}" if summary else ""))
        elif isinstance(event, ev.Progress):
            self.progress.setValue(int(1000 * event.fraction))
            self.remaining.setText("   ".join(filter(None, (
                event.message, self._remaining(event.remaining_s, event.step_remaining_s)))))
        elif isinstance(event, ev.LogMessage):
            self.add_log(event.level, event.message)
        elif isinstance(event, ev.RunFinished):
            self.ended = event.status
            self.add_log(END_LEVELS.get(event.status, "error"),
                         f"run {event.run_id} {event.status}" + (f": {event.reason}"
                                                                 if event.reason else ""))
            self.remaining.setText("")
            if event.status == RunState.DONE:
                self.progress.setValue(1000)
            else:
                self.progress.reset()
                if self.current_step is not None:
                    self._mark(self.current_step, "✗")
            self._highlight(None)

    def _remaining(self, seconds: float | None, step_s: float | None = None) -> str:
        """The run's remaining time; before a step has finished (nothing to estimate the
        others from) the running step's, if it knows it."""
        if seconds is None and step_s is None:
            return "remaining: ?"
        text = (f"remaining: {duration(seconds)}" if seconds is not None else
                f"this step: {duration(step_s)}")
        text += " bench time"
        if self.session.simulated:
            left = seconds if seconds is not None else step_s     # 0 s left is a value
            text += f" (~{duration(left / self.session.clock.speed)} here)"
        return text

    def add_log(self, level: str, message: str) -> None:
        item = QListWidgetItem(f"{level.upper():8s} {message}" if level != "info" else message)
        if level in LEVEL_COLOURS:
            item.setForeground(QBrush(QColor(LEVEL_COLOURS[level])))
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.log.addItem(item)
        self.log.scrollToBottom()

    def _enable(self, state: RunState) -> None:
        """Buttons for runner state `state`; the label names how a run ended (the runner's
        final state is 'failed' for an aborted run too)."""
        self.state.setText(self.ended if state == RunState.FAILED and self.ended else str(state))
        for command in BUTTONS:
            self.buttons[command].setEnabled(accepts(state, command))
        self.buttons["validate"].setEnabled(accepts(state, Command.START))

    def _list_steps(self, recipe: Recipe) -> None:
        self.steps.clear()
        for step in recipe.steps:
            t = step.position.temperature_K
            where = f"  at {K_to_C(t):.0f} °C" if t is not None else ""
            item = QListWidgetItem(f"   {step.path}{where}")
            item.setData(Qt.UserRole, step.path)
            self.steps.addItem(item)

    def _mark(self, path: str, mark: str) -> None:
        """`mark` (✓ done, ✗ stopped there) before step `path`."""
        for i in range(self.steps.count()):
            item = self.steps.item(i)
            if item.data(Qt.UserRole) == path:
                item.setText(f"{mark}  {item.text()[3:]}")

    def _highlight(self, path: str | None) -> None:
        """The current step bold on a coloured background, earlier ones greyed (None: no
        step is running, none greyed)."""
        passed = path is not None
        self.steps.setCurrentItem(None)
        for i in range(self.steps.count()):
            item = self.steps.item(i)
            current = path is not None and item.data(Qt.UserRole) == path
            passed = passed and not current
            font = QFont(item.font())
            font.setBold(current)
            item.setFont(font)
            item.setBackground(QBrush(QColor("#ffe9a8")) if current else QBrush())
            item.setForeground(QBrush(QColor("#888888" if passed else "#000000")))
            if current:
                self.steps.setCurrentItem(item)
                self.steps.scrollToItem(item)

    @property
    def current_step(self) -> str | None:
        item = self.steps.currentItem()
        return None if item is None else item.data(Qt.UserRole)


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(widget)
    return box
