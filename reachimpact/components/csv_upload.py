"""A drop zone for one CSV file (contacts import, do-not-contact import)."""

from __future__ import annotations

import reflex as rx


def csv_drop_zone(upload_id: str, prompt: str, *, icon: str | None = None) -> rx.Component:
    """Drag-and-drop or click to choose one .csv/.txt/.tsv file; shows the chosen file's name."""
    return rx.upload.root(
        rx.vstack(
            *([rx.icon(icon, size=28, color=rx.color("gray", 9))] if icon else []),
            rx.text(prompt, size="2"),
            rx.foreach(
                rx.selected_files(upload_id),
                lambda name: rx.text(name, size="2", weight="medium", class_name="selected-file"),
            ),
            align="center",
            spacing="1",
        ),
        id=upload_id,
        accept={"text/csv": [".csv"], "text/plain": [".txt", ".tsv"]},
        multiple=False,
        max_files=1,
        border=f"1px dashed {rx.color('gray', 8)}",
        border_radius="var(--radius-3)",
        padding="1.5em",
        width="100%",
        cursor="pointer",
    )
