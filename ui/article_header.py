"""The reading pane's header: headline, outlet, byline, date and link, each editable.

What is shown is what is stored: the header follows the workspace's open article and
its committed edits. "Edit details" (or a double click) opens :class:`ArticleDetailsDialog`;
the change is one step of the undo stack.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.safe_text import (
    MAX_TOOLTIP_URL,
    open_web_link,
    plain_label,
    shown_field,
    shown_title,
    tooltip,
)
from ui.workspace import Workspace
from workbench.display import display_date
from workbench.errors import ValidationError
from workbench.models import Article
from workbench.store import clean_tag, header_value
from workbench.textsafety import http_url, shown_url

FIELD_LABELS = {
    "title": "Headline",
    "source": "Outlet",
    "author": "Byline",
    "published": "Published",
    "url": "Link",
}
"""The header's fields (:data:`workbench.models.ARTICLE_FIELDS`) as the dialog names them."""


class ArticleHeader(QWidget):
    def __init__(self, workspace: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("article_header")
        self.workspace = workspace
        self.headline = plain_label(parent=self)
        self.headline.setObjectName("headline")
        self.headline.setWordWrap(True)
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.headline.setFont(font)
        self.details = plain_label(parent=self)
        self.details.setObjectName("article_details")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.link = _LinkLabel(self)
        self.link.setObjectName("article_link")
        self.link.linkActivated.connect(open_web_link)
        self.edit_button = QToolButton(self)
        self.edit_button.setObjectName("edit_article_details")
        self.edit_button.setText("Edit details…")
        self.edit_button.setToolTip("Change the headline, outlet, byline, date or link")
        self.edit_button.setAutoRaise(True)
        self.edit_button.clicked.connect(self.edit)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.headline, 1)
        top.addWidget(self.edit_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 8)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.details)
        layout.addWidget(self.link)
        self.setStyleSheet(
            "#article_header { border-bottom: 1px solid palette(mid); }"
            " #article_details { color: palette(dark); }"
        )
        workspace.article_opened.connect(self.show_article)
        workspace.article_updated.connect(self.show_article)
        self.show_article(None)

    def show_article(self, article: Article | None) -> None:
        self.setVisible(article is not None)
        self.edit_button.setEnabled(article is not None)
        if article is None:
            return
        self.headline.setText(shown_title(article.title))
        byline = f"By {shown_field(article.author)}" if article.author else ""
        published = display_date(article.published, short=False) or "date unknown"
        tags = f"tags: {', '.join(article.tags)}" if article.tags else ""
        outlet = shown_field(article.source)
        self.details.setText(" · ".join(p for p in (outlet, byline, published, tags) if p))
        self.link.set_url(article.url)
        self.link.setVisible(bool(article.url))

    def show_reading(self, title: str, detail: str = "Finding the claims…") -> None:
        """The header of an article read whose claims are being looked for (not stored yet)."""
        self.setVisible(True)
        self.edit_button.setEnabled(False)
        self.headline.setText(shown_title(title) if title.strip() else "Untitled article")
        self.details.setText(detail)
        self.link.set_url("")
        self.link.setVisible(False)

    def edit(self) -> None:
        article = self.workspace.article
        if article is None:
            return
        answer = ArticleDetailsDialog.ask(self, article)
        if answer is not None:
            fields, tags = answer
            self.workspace.edit_article(**fields)
            self.workspace.set_article_tags(tags)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.edit()


class _LinkLabel(QLabel):
    """The article's link, elided to the label's width (a URL has no spaces to wrap at).

    Only an http(s) URL is a link, to its encoded form; anything else is shown, escaped.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)  # built from escaped text only
        self.setOpenExternalLinks(False)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.url = ""

    def set_url(self, url: str) -> None:
        self.url = url
        self.setToolTip(tooltip(shown_url(url, limit=MAX_TOOLTIP_URL)))
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        shown = self.fontMetrics().elidedText(
            shown_url(self.url), Qt.TextElideMode.ElideMiddle, max(80, self.width() - 4)
        )
        target = http_url(self.url) if self.url else ""
        if target:
            self.setText(f'<a href="{html.escape(target)}">{html.escape(shown)}</a>')
        else:
            self.setText(html.escape(shown))  # not a web link: shown, not linked


class ArticleDetailsDialog(QDialog):
    """Ask for an article's header; refuses a link that is not http(s) and a bad date."""

    def __init__(self, article: Article, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Article details")
        self.setMinimumWidth(520)
        self.edits: dict[str, QLineEdit] = {}
        form = QFormLayout()
        for name, label in FIELD_LABELS.items():
            edit = QLineEdit(getattr(article, name) or "", self)
            edit.setObjectName(f"article_{name}")
            self.edits[name] = edit
            form.addRow(label, edit)
        self.tags = QLineEdit(", ".join(article.tags), self)
        self.tags.setObjectName("article_tags")
        self.tags.setPlaceholderText("Labels, separated by commas")
        form.addRow("Tags", self.tags)
        self.edits["published"].setPlaceholderText("YYYY-MM-DD (empty: unknown)")
        self.edits["url"].setPlaceholderText("https://…")
        self.problem = plain_label(parent=self)
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._original = {name: getattr(article, name) or "" for name in FIELD_LABELS}

    def changed(self) -> dict[str, str]:
        """The fields whose text differs from the article's."""
        return {
            name: edit.text()
            for name, edit in self.edits.items()
            if edit.text().strip() != self._original[name].strip()
        }

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.tags.text().split(",") if t.strip()]

    def accept(self) -> None:
        for name, value in self.changed().items():
            try:
                header_value(name, value)
            except ValidationError as exc:
                self._refuse(str(exc), self.edits[name])
                return
        try:
            for tag in self.tag_list():
                clean_tag(tag)
        except ValidationError as exc:
            self._refuse(str(exc), self.tags)
            return
        super().accept()

    def _refuse(self, problem: str, edit: QLineEdit) -> None:
        self.problem.setText(problem)
        self.problem.show()
        edit.setFocus()

    @classmethod
    def ask(
        cls, parent: QWidget | None, article: Article
    ) -> tuple[dict[str, str], list[str]] | None:
        """The header fields changed and the tags, or None if cancelled."""
        dialog = cls(article, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.changed(), dialog.tag_list()
