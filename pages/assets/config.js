// The API's base URL as the pages see it. Deployed: the stack's ApiUrl output, written here when the
// pages are uploaded (README "Pages"); empty: the same origin (local mode serves its own config.js).
window.HALLBOOK_CONFIG = {"api": "", "clock": ""};
