// The dashboard's page, script and style sheet (src/web/assets/), embedded in
// the library at build time: embed_assets.cmake writes them into a generated
// web_assets.cpp, so nothing is read from disk or the network at run time.
#pragma once

#include <span>
#include <string_view>

namespace omniq::web {

struct Asset {
  std::string_view name;          // "index.html", "app.js", "app.css"
  std::string_view content_type;  // from the extension
  std::string_view body;
};

std::span<const Asset> assets();

}  // namespace omniq::web
