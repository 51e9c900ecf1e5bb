// What a page must not do at 390 px (tests/browser/test_phone_width.py), measured in the
// page after every <details> is opened (what they hide is measured too):
// - the page is wider than the screen (it would scroll sideways);
// - a table cell is "squeezed": its text wraps in less than three characters' width;
// - a box "scrolls inside the page": a scroll bar of its own, vertically, or sideways when
//   it is not a table or a table's frame (.table-wrap, .table-scroll).
() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const problems = [];
  const name = el => {
    const classes = typeof el.className === 'string' ? el.className.trim().split(/\s+/) : [];
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + classes.filter(Boolean).map(c => '.' + c).join('');
  };
  // The layout viewport (390 px): a phone's browser may zoom out to show a wider page, so
  // window.innerWidth could grow with the fault it should reveal.
  const limit = document.documentElement.clientWidth;
  const width = document.documentElement.scrollWidth;
  if (width > limit) {
    const wide = [...document.querySelectorAll('body *')].filter(el => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.right > limit + 1 && !el.closest('.table-wrap, .table-scroll, table');
    }).slice(0, 4).map(el => name(el) + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
    problems.push(`page is ${width}px wide: ` + wide.join(', '));
  }
  for (const cell of document.querySelectorAll('td, th')) {
    const r = cell.getBoundingClientRect();
    const text = cell.innerText.trim();
    if (!r.width || text.length < 2) continue;
    const cs = getComputedStyle(cell);
    const em = parseFloat(cs.fontSize);
    const inner = cell.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = range.getClientRects().length;
    const lineHeight = parseFloat(cs.lineHeight) || em * 1.7;
    const wraps = range.getBoundingClientRect().height > lineHeight * 1.5 && lines > 1;
    if (inner < 3 * em && wraps) {
      problems.push(`cell ${Math.round(inner)}px wide wraps "${text.slice(0, 20)}"`);
    }
  }
  for (const el of document.querySelectorAll('main *')) {
    const cs = getComputedStyle(el);
    if (['TEXTAREA', 'SELECT', 'CANVAS'].includes(el.tagName)) continue;
    if (['auto', 'scroll'].includes(cs.overflowY) && el.scrollHeight > el.clientHeight + 2) {
      problems.push(`${name(el)} scrolls inside the page (${el.scrollHeight} > ${el.clientHeight}px)`);
    }
    if (['auto', 'scroll'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + 2
        && !el.matches('.table-wrap, .table-scroll, table')) {
      problems.push(`${name(el)} scrolls sideways (${el.scrollWidth} > ${el.clientWidth}px)`);
    }
  }
  return problems;
}
