// Vite's dev server proxying /socket.io to a socket.io 4 server, as the
// Vite docs show it. rtdoctor's tests copy this file into their own
// directory and start:
//   node target/peers/vite/node_modules/vite/bin/vite.js --config vite.config.mjs \
//        --configLoader native --strictPort --host 127.0.0.1 --port PORT
// Env: RTDOCTOR_VITE_TARGET  the socket.io server, http://127.0.0.1:PORT
//      RTDOCTOR_VITE_WS      `1`: the proxy entry has `ws: true` (forward
//                            WebSocket upgrades); anything else: without it
export default {
  clearScreen: false,
  logLevel: 'info',
  server: {
    proxy: {
      '/socket.io': {
        target: process.env.RTDOCTOR_VITE_TARGET,
        ws: process.env.RTDOCTOR_VITE_WS === '1',
      },
    },
  },
};
