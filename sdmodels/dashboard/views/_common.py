"""Helpers shared by the views: colours and the error message."""

from __future__ import annotations

from typing import Any

import panel as pn
import param
from panel.custom import JSComponent

from sdmodels.dashboard._text import esc, fmt
from sdmodels.plots import PALETTE

__all__ = ["BASELINE_COLOUR", "CURRENT_COLOUR", "accessible_names", "esc", "fmt", "message_pane",
           "release_follower"]

BASELINE_COLOUR = PALETTE[7]
CURRENT_COLOUR = PALETTE[0]


def message_pane(store: Any) -> Any:
    """An alert that shows the store's last error (escaped), hidden when there is none."""

    alert = pn.pane.HTML(esc(store.message), visible=bool(store.message),
                         sizing_mode="stretch_width", css_classes=["message"],
                         styles={"background": "#f8d7da", "color": "#58151c",
                                 "padding": "6px 12px", "border-radius": "4px"})

    def update(event: Any) -> None:
        alert.object = esc(event.new)
        alert.visible = bool(event.new)

    store.param.watch(update, "message")
    return alert


def _accessible_names_class() -> type:

    class AccessibleNames(JSComponent):
        """Gives every control drawn inside the widgets' shadow roots an accessible name: a
        slider handle, a multiple-choice box, a checkbox or a spin button takes the text of its
        widget's label (the widgets draw their label beside, not on, the focusable element).
        Runs when the page opens and after each change of the page (on an idle moment)."""

        done = param.Integer(default=0, doc="Controls named so far (for tests).")

        _esm = """
        function labelText(root) {
          const title = root.querySelector('.bk-slider-title, label, .bk-input-group > label');
          if (!title) return '';
          let text = '';
          for (const node of title.childNodes) {
            if (node.nodeType === 3) text += node.textContent;
            else if (!node.classList || !node.classList.contains('bk-slider-value'))
              text += node.textContent;
          }
          return text.replace(/[:\\s]+$/, '').trim();
        }
        function nameAll(root, count) {
          const controls = root.querySelectorAll(
            '.noUi-handle, .choices[role="combobox"], input[type="checkbox"], ' +
            'button.bk-spin-btn-up, button.bk-spin-btn-down');
          for (const el of controls) {
            if (el.getAttribute('aria-label')) continue;
            let name = labelText(root);
            if (el.classList.contains('bk-spin-btn-up')) name = (name ? name + ': ' : '') + 'increase';
            if (el.classList.contains('bk-spin-btn-down')) name = (name ? name + ': ' : '') + 'decrease';
            if (el.type === 'checkbox') {
              const next = el.nextElementSibling;
              const own = next ? next.textContent.trim() : '';
              if (own) name = own;
            }
            if (name) { el.setAttribute('aria-label', name); count += 1 }
          }
          for (const el of root.querySelectorAll('*')) {
            if (el.shadowRoot) count = nameAll(el.shadowRoot, count);
          }
          return count;
        }
        export function render({ model }) {
          let pending = false;
          const run = () => {
            pending = false;
            model.done = nameAll(document, 0) + model.done;
            window.__sdmodelsNamingRuns = (window.__sdmodelsNamingRuns || 0) + 1;
          };
          const schedule = () => {
            if (pending) return;
            pending = true;
            (window.requestIdleCallback || window.setTimeout)(run, {timeout: 500});
          };
          // only changes that add widgets need naming (new pages, new options), not data
          const adds = (e) => { if (!e.attr || ['objects', 'children', 'tabs', 'options']
                                   .includes(e.attr)) schedule(); };
          for (const doc of window.Bokeh.documents) doc.on_change(adds, true);
          document.addEventListener('click', schedule, true);
          schedule();
          const span = document.createElement('span');
          span.style.display = 'none';
          return span;
        }
        """

    return AccessibleNames


def accessible_names() -> Any:
    """A (hidden) component naming the controls inside the widgets' shadow roots."""
    return _accessible_names_class()(sizing_mode="fixed", width=0, height=0, margin=0)


def _release_follower_class() -> type:

    class ReleaseFollower(JSComponent):
        """Keeps each lever slider's released value (``value_throttled``) in the page equal to
        its value when the value changes other than by a drag (a preset, a link).

        Panel never sends a slider's released value to the page, so after a preset moved a
        handle the page still held its last release: dragging the handle back there changed
        nothing, sent nothing, and the lever stayed where the preset put it. Bokeh stops text
        selection while a handle is dragged, which tells a drag from the server's change. One
        component for every slider: a Panel ``jscallback`` per slider cost the server about a
        second per session (each one makes Bokeh re-collect the document's models).
        """

        followed = param.Integer(default=0, doc="Sliders followed (for tests).")

        _esm = """
        export function render({ model }) {
          let count = 0;
          for (const doc of window.Bokeh.documents) {
            for (const m of doc._all_models.values()) {
              const classes = m.css_classes || [];
              if (!m.type.endsWith('Slider') || !classes.some((c) => c.startsWith('lever')))
                continue;
              m.properties.value.change.connect(() => {
                if (document.body.style.userSelect === 'none') return;  // a drag
                // unset until the first release (Panel does not send it)
                const held = m.properties.value_throttled.is_unset ? undefined
                                                                     : m.value_throttled;
                if (held !== m.value) m.value_throttled = m.value;
              });
              count += 1;
            }
          }
          model.followed = count;
          const span = document.createElement('span');
          span.style.display = 'none';
          return span;
        }
        """

    return ReleaseFollower


def release_follower() -> Any:
    """A (hidden) component keeping the page's released value of every lever slider in step
    with changes the server makes (see the class docstring)."""
    return _release_follower_class()(sizing_mode="fixed", width=0, height=0, margin=0)
