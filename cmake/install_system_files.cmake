# Runs inside `cmake --install` (cmake/install.cmake): installs the configuration,
# /etc/default's ARGS file and the systemd unit, whose paths depend on the prefix
# actually used. file(INSTALL) honours DESTDIR, which the package build uses.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc_dir /etc)
  set(unit_dir /lib/systemd/system)
else()
  set(etc_dir ${CMAKE_INSTALL_PREFIX}/etc)
  set(unit_dir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()

set(ETC_DIR ${etc_dir})
set(BIN_DIR ${CMAKE_INSTALL_PREFIX}/${MSX_BINDIR})
set(DOC_DIR ${CMAKE_INSTALL_PREFIX}/${MSX_DOCDIR})
set(out ${MSX_BINARY_DIR}/packaging/installed)
configure_file(${MSX_SOURCE_DIR}/packaging/mshost_exporter.service.in
               ${out}/mshost_exporter.service @ONLY)
configure_file(${MSX_SOURCE_DIR}/packaging/mshost_exporter.default.in
               ${out}/mshost_exporter @ONLY)

file(INSTALL ${out}/mshost_exporter.service DESTINATION ${unit_dir}
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
file(INSTALL ${out}/mshost_exporter DESTINATION ${etc_dir}/default
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
# 0640: it may hold secrets; the package's postinst gives it to the group
# mshost_exporter.
file(INSTALL ${MSX_BINARY_DIR}/packaging/mshost_exporter.yml
     DESTINATION ${etc_dir}/mshost_exporter
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
