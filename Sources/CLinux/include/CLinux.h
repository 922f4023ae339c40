#ifndef SVS_CLINUX_H
#define SVS_CLINUX_H
/* Linux structs and constants that Swift's Glibc module does not export.
 * AF_PACKET rings, TUN/TAP, AF_XDP, virtio-net headers, and the few
 * shims (in shim.c, built with _GNU_SOURCE) for calls Swift cannot make
 * directly: recvmmsg/sendmmsg, cmsg walking, ioctls on struct ifreq. */
#include <stdint.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <malloc.h>   /* mallinfo2: heap figures for the benchmarks */

/* Mirror of glibc's `struct mmsghdr`, which needs _GNU_SOURCE. */
struct CLinux_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/* Constants as plain values (some are macros Swift cannot import, or
 * missing from older headers). */
static const int CLinux_PACKET_IGNORE_OUTGOING = 23;
static const int CLinux_PACKET_AUXDATA = 8;
static const int CLinux_PACKET_ADD_MEMBERSHIP = 1;
static const int CLinux_PACKET_MR_PROMISC = 1;
static const int CLinux_SOL_PACKET = 263;
static const uint32_t CLinux_TP_STATUS_CSUMNOTREADY = 1u << 3;
static const uint32_t CLinux_TP_STATUS_VLAN_VALID = 1u << 4;
static const uint32_t CLinux_TP_STATUS_VLAN_TPID_VALID = 1u << 6;
static const uint16_t CLinux_ETH_P_ALL = 0x0003;
static const uint8_t CLinux_PACKET_OUTGOING = 4;

/* recvmmsg/sendmmsg; return the count or -1 with errno set. */
int CLinux_recvmmsg(int fd, struct CLinux_mmsghdr *msgs, unsigned int n, int flags);
int CLinux_sendmmsg(int fd, struct CLinux_mmsghdr *msgs, unsigned int n, int flags);

/* Finds the PACKET_AUXDATA control message in `msg`; 1 and `*out` filled
 * when present, else 0. */
int CLinux_packet_auxdata(const struct msghdr *msg, struct tpacket_auxdata *out);

/* Size a control buffer needs for one tpacket_auxdata (CMSG_SPACE). */
size_t CLinux_auxdata_space(void);

/* ioctls on `struct ifreq` for the interface `name`; -1 with errno set on failure. */
int CLinux_if_index(int fd, const char *name);
int CLinux_if_get_flags(int fd, const char *name);
int CLinux_if_set_flags(int fd, const char *name, int flags);
int CLinux_if_mtu(int fd, const char *name);
int CLinux_if_hwaddr(int fd, const char *name, uint8_t out[6]);

/* Attaches `fd` (open on /dev/net/tun) to the TAP `name` (IFF_TAP|IFF_NO_PI). */
int CLinux_tun_set_tap(int fd, const char *name);

/* bind(2) for AF_PACKET with sockaddr_ll. */
int CLinux_bind_packet(int fd, int ifindex, uint16_t protocol);
/* PACKET_ADD_MEMBERSHIP PACKET_MR_PROMISC on ifindex. */
int CLinux_packet_promisc(int fd, int ifindex);

/* TPACKET_V3 receive ring: what one frame's header says. */
struct CLinux_ring_frame {
    uint32_t snaplen;      /* bytes captured */
    uint32_t mac;          /* offset of the frame from the header */
    uint32_t status;       /* TP_STATUS_* */
    uint32_t next_offset;  /* to the next header in the block, 0 for the last */
    uint16_t vlan_tci;
    uint16_t vlan_tpid;
    uint8_t pkttype;       /* sll_pkttype of the sockaddr_ll behind the header */
};

/* Sets up a TPACKET_V3 rx ring on `fd`; returns the mapping or NULL with errno set. */
void *CLinux_ring_setup(int fd, unsigned int block_size, unsigned int block_nr,
                        unsigned int frame_size, unsigned int retire_ms);
/* Unmaps a ring of `size` bytes. */
void CLinux_ring_unmap(void *ring, size_t size);
/* 1 if the block belongs to user space (acquire load of block_status). */
int CLinux_ring_block_ready(const void *block);
/* Number of frames in a ready block and the offset of the first. */
uint32_t CLinux_ring_block_frames(const void *block);
uint32_t CLinux_ring_block_first(const void *block);
/* Hands the block back to the kernel (release store of TP_STATUS_KERNEL). */
void CLinux_ring_block_release(void *block);
/* Reads the header at `frame`. */
void CLinux_ring_frame_read(const void *frame, struct CLinux_ring_frame *out);

/* Pins the calling thread to CPU `cpu` (sched_setaffinity), or lets it
 * run on every CPU when `cpu` is negative; -1 and errno on failure. */
int CLinux_pin_to_cpu(int cpu);

#endif
