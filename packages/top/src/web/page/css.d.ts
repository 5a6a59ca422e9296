/** esbuild bundles CSS imports into app.css beside app.js. */
declare module '*.css';
