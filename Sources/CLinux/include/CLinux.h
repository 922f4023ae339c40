#ifndef SVS_CLINUX_H
#define SVS_CLINUX_H
/* Linux structs and constants that Swift's Glibc module does not export.
 * Headers only: AF_PACKET rings, TUN/TAP, AF_XDP, virtio-net headers. */
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#endif
