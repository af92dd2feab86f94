# The Debian package (CPack DEB): what it installs and how it is described. Built by
# `make package`; checked by lintian and by tests/api/package_test.cc (unpacked, it serves a
# journey with the packaged configuration; its unit passes systemd-analyze verify).
include(GNUInstallDirs)

set(KAKITOME_PACKAGE_DIR ${PROJECT_SOURCE_DIR}/scripts/package)

# The man page is made from the binary's own --help and --version (help2man), so it cannot
# drift from the commands the binary has.
set(KAKITOME_MAN_PAGE ${PROJECT_BINARY_DIR}/kakitome.1.gz)
add_custom_command(
  OUTPUT ${KAKITOME_MAN_PAGE}
  COMMAND help2man --no-info --section=1 --source=kakitome
          "--name=registered-mail workflow with a tamper-evident audit ledger"
          --include=${KAKITOME_PACKAGE_DIR}/man-extra.h2m
          --output=${PROJECT_BINARY_DIR}/kakitome.1 $<TARGET_FILE:kakitome>
  COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/kakitome.1
  DEPENDS kakitome ${KAKITOME_PACKAGE_DIR}/man-extra.h2m
  COMMENT "Generating the man page from kakitome --help"
  VERBATIM)
add_custom_target(kakitome_man_page ALL DEPENDS ${KAKITOME_MAN_PAGE})
# Debian wants the changelog compressed with no timestamp in it.
set(KAKITOME_CHANGELOG ${PROJECT_BINARY_DIR}/changelog.gz)
add_custom_command(
  OUTPUT ${KAKITOME_CHANGELOG}
  COMMAND gzip -9nc ${KAKITOME_PACKAGE_DIR}/changelog > ${KAKITOME_CHANGELOG}
  DEPENDS ${KAKITOME_PACKAGE_DIR}/changelog
  VERBATIM)
add_custom_target(kakitome_changelog ALL DEPENDS ${KAKITOME_CHANGELOG})

install(TARGETS kakitome RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${KAKITOME_PACKAGE_DIR}/kakitome.service DESTINATION /lib/systemd/system)
install(FILES ${KAKITOME_PACKAGE_DIR}/kakitome.json DESTINATION /etc/kakitome)
install(FILES ${KAKITOME_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL)
install(FILES ${KAKITOME_PACKAGE_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${KAKITOME_CHANGELOG} DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME changelog.gz OPTIONAL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kakitome)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "kakitome maintainers <kakitome@secretariat.example.jp>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "registered-mail workflow with a tamper-evident audit ledger")
# The first line is the synopsis (the summary above); the rest the long description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "kakitome takes in password-protected application forms by e-mail, pairs them\n\
with their password mails, validates them and mails download links, recording\n\
every step as a hash-chained event in RocksDB with signed Merkle checkpoints.\n\
Auditors replay and prove the history; incident responders see who saw which\n\
registration, when and through which request.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${KAKITOME_PACKAGE_DIR}/postinst ${KAKITOME_PACKAGE_DIR}/prerm ${KAKITOME_PACKAGE_DIR}/postrm
    ${KAKITOME_PACKAGE_DIR}/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build/;/\\\\.git/;node_modules")
include(CPack)
