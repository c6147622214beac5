// Placeholder until app/ lands: prints the version.
#include <cstdio>
int main() {
  std::printf("mshost_exporter %s\n", MSX_VERSION);
  return 0;
}
