# Console pages (monitoring/prometheus/consoles/) need two things only a running Prometheus can
# tell: where its classic UI lives (/classic/... in 2.24 and later; /... before) and where its
# build keeps the graph scripts (Debian unbundles Rickshaw and d3 to other paths than upstream's).
# write_console_assets asks the server and writes both as console templates.
#
#   write_console_assets http://127.0.0.1:PORT DIR/assets.lib   # exit 1, saying what is missing

# first_served URL CANDIDATE... -> the first candidate path the server answers 200 for
first_served() {
  local base=$1 path
  shift
  for path in "$@"; do
    if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base$path")" = 200 ]; then
      echo "$path"
      return 0
    fi
  done
  return 1
}

write_console_assets() {
  local base=$1 out=$2 ui d3 layout rickshaw_js rickshaw_css console_js
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/classic/graph")" = 200 ]; then
    ui=/classic
  else
    ui=""
  fi
  d3=$(first_served "$base" /classic/static/d3/d3.min.js /classic/static/vendor/rickshaw/vendor/d3.v3.js \
    /static/vendor/rickshaw/vendor/d3.v3.js) || d3=""
  # Upstream ships d3's layout plugin beside d3; Debian's d3 build has it inside.
  layout=$(first_served "$base" /classic/static/vendor/rickshaw/vendor/d3.layout.min.js \
    /static/vendor/rickshaw/vendor/d3.layout.min.js) || layout=""
  rickshaw_js=$(first_served "$base" /classic/static/rickshaw/rickshaw.min.js \
    /classic/static/vendor/rickshaw/rickshaw.min.js /static/vendor/rickshaw/rickshaw.min.js) || rickshaw_js=""
  rickshaw_css=$(first_served "$base" /classic/static/rickshaw/rickshaw.min.css \
    /classic/static/vendor/rickshaw/rickshaw.min.css /static/vendor/rickshaw/rickshaw.min.css) || rickshaw_css=""
  console_js=$(first_served "$base" /classic/static/js/prom_console.js /static/js/prom_console.js) || console_js=""
  if [ -z "$d3" ] || [ -z "$rickshaw_js" ] || [ -z "$console_js" ]; then
    echo "consoles: $base serves no console graph scripts (d3: ${d3:-none}, rickshaw: ${rickshaw_js:-none}," \
      "prom_console.js: ${console_js:-none}); the console pages need a Prometheus 2.x with its classic UI" >&2
    return 1
  fi
  {
    echo '{{/* Written by scripts/stack.sh from what this Prometheus serves; see freightliner.lib. */}}'
    echo "{{ define \"fl_ui\" }}$ui{{ end }}"
    echo '{{ define "fl_assets" }}'
    [ -n "$rickshaw_css" ] && echo "<link rel=\"stylesheet\" href=\"{{ pathPrefix }}$rickshaw_css\">"
    echo "<script src=\"{{ pathPrefix }}$d3\"></script>"
    [ -n "$layout" ] && echo "<script src=\"{{ pathPrefix }}$layout\"></script>"
    echo "<script src=\"{{ pathPrefix }}$rickshaw_js\"></script>"
    echo '<script>var PATH_PREFIX = "{{ pathPrefix }}";</script>'
    echo "<script src=\"{{ pathPrefix }}$console_js\"></script>"
    echo '{{ end }}'
  } > "$out"
}
