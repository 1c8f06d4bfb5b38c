// The lead list's "select all on this page" box: ticks or clears every row's box at once. Without
// scripts it stays hidden; the rows and "all leads matching this filter" work as before.
document.addEventListener("DOMContentLoaded", () => {
  const page = document.getElementById("lead-select-page");
  if (!page) return;
  const rows = () => document.querySelectorAll('input[name="lead"][form="lead-bulk"]');
  page.hidden = false;
  page.addEventListener("change", () => {
    rows().forEach((box) => {
      box.checked = page.checked;
    });
  });
});
