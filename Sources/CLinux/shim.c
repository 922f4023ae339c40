#define _GNU_SOURCE
#include "CLinux.h"
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <stddef.h>

_Static_assert(sizeof(struct CLinux_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr mirror");
_Static_assert(offsetof(struct CLinux_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr mirror");

int CLinux_recvmmsg(int fd, struct CLinux_mmsghdr *msgs, unsigned int n, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)msgs, n, flags, NULL);
}

int CLinux_sendmmsg(int fd, struct CLinux_mmsghdr *msgs, unsigned int n, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)msgs, n, flags);
}

int CLinux_packet_auxdata(const struct msghdr *msg, struct tpacket_auxdata *out) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA
            && c->cmsg_len >= CMSG_LEN(sizeof *out)) {
            memcpy(out, CMSG_DATA(c), sizeof *out);
            return 1;
        }
    }
    return 0;
}

size_t CLinux_auxdata_space(void) { return CMSG_SPACE(sizeof(struct tpacket_auxdata)); }

static int named(struct ifreq *r, const char *name) {
    memset(r, 0, sizeof *r);
    if (strlen(name) >= IFNAMSIZ) { errno = ENAMETOOLONG; return -1; }
    strncpy(r->ifr_name, name, IFNAMSIZ - 1);
    return 0;
}

int CLinux_if_index(int fd, const char *name) {
    struct ifreq r;
    if (named(&r, name) < 0 || ioctl(fd, SIOCGIFINDEX, &r) < 0) return -1;
    return r.ifr_ifindex;
}

int CLinux_if_get_flags(int fd, const char *name) {
    struct ifreq r;
    if (named(&r, name) < 0 || ioctl(fd, SIOCGIFFLAGS, &r) < 0) return -1;
    return (unsigned short)r.ifr_flags;
}

int CLinux_if_set_flags(int fd, const char *name, int flags) {
    struct ifreq r;
    if (named(&r, name) < 0) return -1;
    r.ifr_flags = (short)flags;
    return ioctl(fd, SIOCSIFFLAGS, &r);
}

int CLinux_if_mtu(int fd, const char *name) {
    struct ifreq r;
    if (named(&r, name) < 0 || ioctl(fd, SIOCGIFMTU, &r) < 0) return -1;
    return r.ifr_mtu;
}

int CLinux_if_hwaddr(int fd, const char *name, uint8_t out[6]) {
    struct ifreq r;
    if (named(&r, name) < 0 || ioctl(fd, SIOCGIFHWADDR, &r) < 0) return -1;
    memcpy(out, r.ifr_hwaddr.sa_data, 6);
    return 0;
}

int CLinux_tun_set_tap(int fd, const char *name) {
    struct ifreq r;
    if (named(&r, name) < 0) return -1;
    r.ifr_flags = IFF_TAP | IFF_NO_PI;
    return ioctl(fd, TUNSETIFF, &r);
}

int CLinux_bind_packet(int fd, int ifindex, uint16_t protocol) {
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(protocol);
    sll.sll_ifindex = ifindex;
    return bind(fd, (struct sockaddr *)&sll, sizeof sll);
}

int CLinux_packet_promisc(int fd, int ifindex) {
    struct packet_mreq m;
    memset(&m, 0, sizeof m);
    m.mr_ifindex = ifindex;
    m.mr_type = PACKET_MR_PROMISC;
    return setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &m, sizeof m);
}

#include <sys/mman.h>

void *CLinux_ring_setup(int fd, unsigned int block_size, unsigned int block_nr,
                        unsigned int frame_size, unsigned int retire_ms) {
    int version = TPACKET_V3;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) < 0) return NULL;
    struct tpacket_req3 req;
    memset(&req, 0, sizeof req);
    req.tp_block_size = block_size;
    req.tp_block_nr = block_nr;
    req.tp_frame_size = frame_size;
    req.tp_frame_nr = (block_size / frame_size) * block_nr;
    req.tp_retire_blk_tov = retire_ms;
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) return NULL;
    void *ring = mmap(NULL, (size_t)block_size * block_nr, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return ring == MAP_FAILED ? NULL : ring;
}

void CLinux_ring_unmap(void *ring, size_t size) { munmap(ring, size); }

int CLinux_ring_block_ready(const void *block) {
    const struct tpacket_block_desc *d = block;
    return (__atomic_load_n(&d->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
}

uint32_t CLinux_ring_block_frames(const void *block) {
    return ((const struct tpacket_block_desc *)block)->hdr.bh1.num_pkts;
}

uint32_t CLinux_ring_block_first(const void *block) {
    return ((const struct tpacket_block_desc *)block)->hdr.bh1.offset_to_first_pkt;
}

void CLinux_ring_block_release(void *block) {
    struct tpacket_block_desc *d = block;
    __atomic_store_n(&d->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

void CLinux_ring_frame_read(const void *frame, struct CLinux_ring_frame *out) {
    const struct tpacket3_hdr *h = frame;
    const struct sockaddr_ll *sll =
        (const void *)((const char *)frame + TPACKET_ALIGN(sizeof(struct tpacket3_hdr)));
    out->snaplen = h->tp_snaplen;
    out->mac = h->tp_mac;
    out->status = h->tp_status;
    out->next_offset = h->tp_next_offset;
    out->vlan_tci = (uint16_t)h->hv1.tp_vlan_tci;
    out->vlan_tpid = (uint16_t)h->hv1.tp_vlan_tpid;
    out->pkttype = sll->sll_pkttype;
}

#include <sched.h>

int CLinux_pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (cpu < 0) {
        for (int i = 0; i < CPU_SETSIZE; i++) CPU_SET(i, &set);
    } else if (cpu < CPU_SETSIZE) {
        CPU_SET(cpu, &set);
    } else {
        errno = EINVAL;
        return -1;
    }
    return sched_setaffinity(0, sizeof set, &set);
}
