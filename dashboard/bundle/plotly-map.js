// The map's plotly.js: the core and the two trace types gridboard draws (layers/mapfig.py),
// built by `make` with esbuild into node_modules/.gridboard/ and served by
// dashboard/plotlymap.py; assets/plotlymap.js has Dash's dcc.Graph load it instead of the
// full plotly.js, which takes three times as long to start in the browser.
var Plotly = require("plotly.js/lib/core");

Plotly.register([require("plotly.js/lib/choroplethmap"), require("plotly.js/lib/scattermap")]);

module.exports = Plotly;
