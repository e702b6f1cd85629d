// WebLab's own script: the pages remember the visitor's name and theme in cookies, which the server reads when it
// renders the next page (so it arrives in the right theme, with no flash).
window.weblab = {
    setCookie(name, value) {
        document.cookie = `${name}=${encodeURIComponent(value)}; path=/; max-age=31536000; samesite=lax`;
    },
};
