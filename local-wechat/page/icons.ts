/**
 * The page's icons: inline SVG (24×24, stroked with currentColor), so nothing
 * is loaded and nothing depends on an emoji font. Trusted constants: the only
 * markup the page's script ever sets as HTML.
 */
export const ICONS: Record<string, string> = {
  back: '<path d="M15 5l-7 7 7 7"/>',
  more: '<circle cx="5" cy="12" r="1.2"/><circle cx="12" cy="12" r="1.2"/><circle cx="19" cy="12" r="1.2"/>',
  bubble:
    '<path d="M4 11.5C4 7.4 7.6 4.5 12 4.5s8 2.9 8 7-3.6 7-8 7c-.9 0-1.8-.1-2.6-.4L5.5 19.5l1-3.2C5 15 4 13.3 4 11.5z"/>' +
    '<path d="M8.5 11.5h.01M12 11.5h.01M15.5 11.5h.01"/>',
  keyboard:
    '<rect x="2.5" y="6" width="19" height="12" rx="2"/>' +
    '<path d="M6.5 10h.01M9.5 10h.01M12.5 10h.01M15.5 10h.01M18 10h.01M6.5 14h.01M17.5 14h.01M9.5 14h5"/>',
  menu: '<path d="M5 7h14M5 12h14M5 17h14"/>',
  voice:
    '<circle cx="12" cy="12" r="9.5"/><path d="M9 12h.01M11.8 9.6a3.4 3.4 0 0 1 0 4.8M14.4 7.4a6.6 6.6 0 0 1 0 9.2"/>',
  waves: '<path d="M6 12h.01"/><path d="M10 8.5a5 5 0 0 1 0 7"/><path d="M14 5a9.6 9.6 0 0 1 0 14"/>',
  plus: '<circle cx="12" cy="12" r="9.5"/><path d="M12 7.5v9M7.5 12h9"/>',
  image:
    '<rect x="3" y="4.5" width="18" height="15" rx="2"/><circle cx="8.5" cy="9.5" r="1.6"/><path d="M21 16l-5-5-8 8.5"/>',
  video: '<rect x="2.5" y="6" width="13" height="12" rx="2"/><path d="M15.5 10.5l6-3.5v10l-6-3.5z"/>',
  pin: '<path d="M12 21s-7-6.2-7-11.5a7 7 0 0 1 14 0C19 14.8 12 21 12 21z"/><circle cx="12" cy="9.5" r="2.5"/>',
  link:
    '<path d="M10 14a4.5 4.5 0 0 0 6.4 0l3-3a4.5 4.5 0 0 0-6.4-6.4l-1 1"/>' +
    '<path d="M14 10a4.5 4.5 0 0 0-6.4 0l-3 3a4.5 4.5 0 0 0 6.4 6.4l1-1"/>',
  follow: '<circle cx="9.5" cy="8" r="3.5"/><path d="M3 19.5c.8-3.3 3.4-5.5 6.5-5.5s5.7 2.2 6.5 5.5M19 8v6M16 11h6"/>',
  unfollow: '<circle cx="9.5" cy="8" r="3.5"/><path d="M3 19.5c.8-3.3 3.4-5.5 6.5-5.5s5.7 2.2 6.5 5.5M16 11h6"/>',
  play: '<path d="M8 5.5v13l10.5-6.5z"/>',
  music: '<path d="M9 18V6l10-2v12"/><circle cx="6.5" cy="18" r="2.5"/><circle cx="16.5" cy="16" r="2.5"/>',
  scan:
    '<path d="M4 8V5.5A1.5 1.5 0 0 1 5.5 4H8M16 4h2.5A1.5 1.5 0 0 1 20 5.5V8M20 16v2.5a1.5 1.5 0 0 1-1.5 1.5H16' +
    'M8 20H5.5A1.5 1.5 0 0 1 4 18.5V16M4 12h16"/>',
  qr:
    '<rect x="4" y="4" width="6" height="6" rx="1"/><rect x="14" y="4" width="6" height="6" rx="1"/>' +
    '<rect x="4" y="14" width="6" height="6" rx="1"/><path d="M14 14h2v2h-2zM18 18h2v2h-2zM14 18v2M18 14h2"/>',
  check: '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
  down: '<path d="M6 9l6 6 6-6"/>',
  right: '<path d="M9 6l6 6-6 6"/>',
  close: '<path d="M6 6l12 12M18 6L6 18"/>',
  code: '<path d="M8 8l-4 4 4 4M16 8l4 4-4 4M13.5 5.5l-3 13"/>',
  article: '<path d="M7 3.5h7l4.5 4.5v12.5h-11.5z"/><path d="M14 3.5V8h4.5M9.5 13h5M9.5 16.5h5"/>',
  bell: '<path d="M6 16v-5a6 6 0 0 1 12 0v5l1.5 2h-15z"/><path d="M10 20.5a2 2 0 0 0 4 0"/>',
};

/** An icon as markup (server side; the script has its own copy of ICONS). */
export function icon(name: string): string {
  return `<svg class="icon" viewBox="0 0 24 24" aria-hidden="true">${ICONS[name] ?? ""}</svg>`;
}
