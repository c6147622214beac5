#include "common/paths.h"

#include <filesystem>

namespace msx {

std::string ResolveNextToFile(const std::string& file, const std::string& path) {
  const std::filesystem::path relative(path);
  if (path.empty() || relative.is_absolute()) return path;
  const std::filesystem::path folder = std::filesystem::path(file).parent_path();
  if (folder.empty()) return path;
  return (folder / relative).lexically_normal().string();
}

}  // namespace msx
