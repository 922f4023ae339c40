/* udpgen: blasts identical UDP/IPv4 frames out of one interface through an
 * AF_PACKET socket with sendmmsg (batches of 64), for the forwarding
 * benchmark. The frames bypass the sender's IP stack, so the generator is
 * as cheap as the kernel allows and the switch under test is the limit.
 *
 *   udpgen IFNAME DST_MAC FRAME_BYTES SECONDS
 *
 * Prints "sent N" (frames the kernel accepted). Frames are IPv4/UDP from
 * 192.0.2.1:4000 to 192.0.2.2:9 (an address the receiver does not own, so
 * its kernel drops them cheaply), FRAME_BYTES long without FCS (60..9000).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t checksum(const uint8_t *p, int n) {
    uint32_t sum = 0;
    for (int i = 0; i + 1 < n; i += 2) sum += (uint32_t)p[i] << 8 | p[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: udpgen IFNAME DST_MAC FRAME_BYTES SECONDS\n");
        return 2;
    }
    int len = atoi(argv[3]);
    double seconds = atof(argv[4]);
    unsigned mac[6];
    if (len < 60 || len > 9000 || seconds <= 0 ||
        sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
        fprintf(stderr, "udpgen: bad arguments\n");
        return 2;
    }
    int ifindex = if_nametoindex(argv[1]);
    if (!ifindex) { perror("udpgen: if_nametoindex"); return 1; }
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) { perror("udpgen: socket"); return 1; }
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex };
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("udpgen: bind"); return 1; }
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    int sndbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

    static uint8_t frame[9000];
    memset(frame, 0, sizeof frame);
    for (int i = 0; i < 6; i++) frame[i] = (uint8_t)mac[i];
    uint8_t src[6] = { 0x02, 0x5e, 0x05, 0x00, 0x00, 0x01 };
    memcpy(frame + 6, src, 6);
    frame[12] = 0x08; frame[13] = 0x00;
    uint8_t *ip = frame + 14;
    int iplen = len - 14, udplen = iplen - 20;
    ip[0] = 0x45; ip[2] = iplen >> 8; ip[3] = iplen & 0xff; ip[6] = 0x40; ip[8] = 64; ip[9] = 17;
    ip[12] = 192; ip[13] = 0; ip[14] = 2; ip[15] = 1;
    ip[16] = 192; ip[17] = 0; ip[18] = 2; ip[19] = 2;
    uint16_t c = checksum(ip, 20);
    ip[10] = c >> 8; ip[11] = c & 0xff;
    uint8_t *udp = ip + 20;
    udp[0] = 4000 >> 8; udp[1] = 4000 & 0xff; udp[2] = 0; udp[3] = 9;
    udp[4] = udplen >> 8; udp[5] = udplen & 0xff;   /* checksum 0: none */

    enum { BATCH = 64 };
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = frame;
        iov[i].iov_len = len;
        memset(&msgs[i], 0, sizeof msgs[i]);
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    unsigned long long sent = 0;
    double end = now() + seconds;
    while (now() < end) {
        for (int k = 0; k < 16; k++) {
            int n = sendmmsg(fd, msgs, BATCH, 0);
            if (n > 0) sent += n;
        }
    }
    printf("sent %llu\n", sent);
    return 0;
}
